/*
 * What a static program finds at its entry point, before anything else runs: RFLAGS and every
 * general-purpose register but rsp, one line "name value" each (hex). Linux zeroes them all and
 * sets RFLAGS to IF (0x202 as read, bit 1 always set); the stub must hand over the same.
 */
.globl _start
_start:
    push %r15; push %r14; push %r13; push %r12; push %r11; push %r10; push %r9; push %r8
    push %rbp; push %rdi; push %rsi; push %rdx; push %rcx; push %rbx; push %rax
    pushfq
    mov %rsp, %r12              /* the saved values, in the order of `names` */
    lea names(%rip), %r13
    mov $16, %r14d
next:
    lea line(%rip), %rdi
    mov %r13, %rsi              /* the name: 7 bytes, blank-padded */
    mov $7, %ecx
    rep movsb
    add $7, %r13
    mov (%r12), %rsi
    add $8, %r12
    mov $16, %ecx
digit:
    rol $4, %rsi
    mov %esi, %eax
    and $15, %eax
    lea hexdigits(%rip), %r8
    movb (%r8,%rax), %al
    stosb
    dec %ecx
    jnz digit
    movb $10, (%rdi)
    mov $1, %eax                /* write(1, line, 24) */
    mov $1, %edi
    lea line(%rip), %rsi
    mov $24, %edx
    syscall
    dec %r14d
    jnz next
    xor %edi, %edi
    mov $60, %eax               /* exit(0) */
    syscall

.data
names: .ascii "rflags rax    rbx    rcx    rdx    rsi    rdi    rbp    r8     r9     r10    r11    r12    r13    r14    r15    "
hexdigits: .ascii "0123456789abcdef"
line: .space 32
.section .note.GNU-stack,"",@progbits
