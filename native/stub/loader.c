/* The stub's ELF loader: maps the program and its interpreter as the kernel's binfmt_elf does. */
#include "loader.h"

#include <linux/elf.h>
#include <linux/auxvec.h>
#include <linux/mman.h>
#include <asm-generic/errno-base.h>

#include "raw.h"
#include "util.h"

#define PAGE_SIZE 4096UL
#define PAGE_DOWN(x) ((x) & ~(PAGE_SIZE - 1))
#define PAGE_UP(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define MAX_PHNUM 64

static int elf_prot(uint32_t pf)
{
    return ((pf & PF_R) ? PROT_READ : 0) | ((pf & PF_W) ? PROT_WRITE : 0) |
           ((pf & PF_X) ? PROT_EXEC : 0);
}

static long read_exact(int fd, void *buf, size_t len, long off)
{
    long n = raw4(__NR_pread64, fd, buf, len, off);
    if (n < 0)
        return n;
    return (size_t)n == len ? 0 : -ENOEXEC;
}

static long map_segment(int fd, uintptr_t base, const Elf64_Phdr *ph)
{
    uintptr_t page_off = ph->p_vaddr & (PAGE_SIZE - 1);
    uintptr_t start = base + ph->p_vaddr - page_off;
    uintptr_t file_end = base + ph->p_vaddr + ph->p_filesz;
    uintptr_t mem_end = PAGE_UP(base + ph->p_vaddr + ph->p_memsz);
    int prot = elf_prot(ph->p_flags);
    long r;

    if (ph->p_filesz) {
        r = raw6(__NR_mmap, start, PAGE_UP(file_end) - start, prot, MAP_PRIVATE | MAP_FIXED, fd,
                 ph->p_offset - page_off);
        if (raw_is_error(r))
            return r;
        /* The rest of the last file page belongs to .bss: it must read as zeros. */
        if (ph->p_memsz > ph->p_filesz && (file_end & (PAGE_SIZE - 1))) {
            if (!(prot & PROT_WRITE))
                raw3(__NR_mprotect, PAGE_DOWN(file_end), PAGE_SIZE, prot | PROT_WRITE);
            memset((void *)file_end, 0, PAGE_UP(file_end) - file_end);
            if (!(prot & PROT_WRITE))
                raw3(__NR_mprotect, PAGE_DOWN(file_end), PAGE_SIZE, prot);
        }
    } else {
        file_end = start;
    }
    if (mem_end > PAGE_UP(file_end)) {
        r = raw6(__NR_mmap, PAGE_UP(file_end), mem_end - PAGE_UP(file_end), prot,
                 MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
        if (raw_is_error(r))
            return r;
    }
    return 0;
}

long load_elf(int fd, struct loaded_elf *out)
{
    Elf64_Ehdr eh;
    Elf64_Phdr phs[MAX_PHNUM];
    uintptr_t lo = ~0UL, hi = 0, base = 0, phdr_addr = 0;
    long r = read_exact(fd, &eh, sizeof(eh), 0);
    if (r)
        return r;
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_machine != EM_X86_64 || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
        eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > MAX_PHNUM)
        return -ENOEXEC;
    r = read_exact(fd, phs, eh.e_phnum * sizeof(Elf64_Phdr), (long)eh.e_phoff);
    if (r)
        return r;

    for (int i = 0; i < eh.e_phnum; i++) {
        if (phs[i].p_type != PT_LOAD)
            continue;
        if ((phs[i].p_vaddr - phs[i].p_offset) & (PAGE_SIZE - 1))
            return -ENOEXEC;
        if (PAGE_DOWN(phs[i].p_vaddr) < lo)
            lo = PAGE_DOWN(phs[i].p_vaddr);
        if (phs[i].p_vaddr + phs[i].p_memsz > hi)
            hi = phs[i].p_vaddr + phs[i].p_memsz;
    }
    if (hi <= lo)
        return -ENOEXEC;

    if (eh.e_type == ET_DYN) {
        /* Reserve the whole span first so the segments keep their relative layout. */
        long res = raw6(__NR_mmap, 0, PAGE_UP(hi) - lo, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (raw_is_error(res))
            return res;
        base = (uintptr_t)res - lo;
    }

    for (int i = 0; i < eh.e_phnum; i++) {
        if (phs[i].p_type == PT_PHDR)
            phdr_addr = base + phs[i].p_vaddr;
        if (phs[i].p_type != PT_LOAD)
            continue;
        if (!phdr_addr && eh.e_phoff >= phs[i].p_offset &&
            eh.e_phoff < phs[i].p_offset + phs[i].p_filesz)
            phdr_addr = base + phs[i].p_vaddr + (eh.e_phoff - phs[i].p_offset);
        r = map_segment(fd, base, &phs[i]);
        if (r)
            return r;
    }

    out->base = base;
    out->entry = base + eh.e_entry;
    out->phdr = phdr_addr;
    out->phnum = eh.e_phnum;
    out->phent = eh.e_phentsize;
    return 0;
}

#define NEW_STACK_GAP (64 * 1024UL) /* room left for the stub's own frames above the app's */
#define MAX_AUXV 64

void start_app(uintptr_t *kernel_sp, const struct loaded_elf *prog,
               const struct loaded_elf *interp, const char *execfn)
{
    long argc = (long)kernel_sp[0];
    char **argv = (char **)&kernel_sp[1];
    char **envp = argv + argc + 1;
    long envc = 0;
    while (envp[envc])
        envc++;
    uintptr_t *kauxv = (uintptr_t *)&envp[envc + 1];

    uintptr_t auxv[2 * MAX_AUXV];
    int n = 0;
    for (uintptr_t *a = kauxv; a[0] != AT_NULL && n < 2 * (MAX_AUXV - 1); a += 2) {
        uintptr_t v = a[1];
        switch (a[0]) {
        case AT_PHDR: v = prog->phdr; break;
        case AT_PHENT: v = prog->phent; break;
        case AT_PHNUM: v = prog->phnum; break;
        case AT_ENTRY: v = prog->entry; break;
        case AT_BASE: v = interp ? interp->base : 0; break;
        case AT_EXECFN: continue; /* placed below, pointing at the app's file name */
        }
        auxv[n++] = a[0];
        auxv[n++] = v;
    }

    /* The file name string first, then the vectors, 16-byte aligned at argc. */
    uintptr_t top = ((uintptr_t)kernel_sp - NEW_STACK_GAP) & ~15UL;
    size_t fnlen = strlen(execfn) + 1;
    char *fn = (char *)((top - fnlen) & ~15UL);
    memcpy(fn, execfn, fnlen);
    auxv[n++] = AT_EXECFN;
    auxv[n++] = (uintptr_t)fn;
    auxv[n++] = AT_NULL;
    auxv[n++] = 0;

    size_t words = 1 + (size_t)argc + 1 + (size_t)envc + 1 + (size_t)n;
    uintptr_t *sp = (uintptr_t *)(((uintptr_t)fn - words * 8) & ~15UL);
    uintptr_t *w = sp;
    *w++ = (uintptr_t)argc;
    for (long i = 0; i <= argc; i++)
        *w++ = (uintptr_t)argv[i];
    for (long i = 0; i <= envc; i++)
        *w++ = (uintptr_t)envp[i];
    for (int i = 0; i < n; i++)
        *w++ = auxv[i];

    uintptr_t entry = interp ? interp->entry : prog->entry;
    /*
     * The registers as Linux leaves them after execve: all zero (rdx too: no rtld_fini from
     * us), RFLAGS only IF (and the always-set bit 1) -- the xors set ZF, so flags come last.
     */
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "push %1\n\t" /* below the initial stack: popped by the ret */
                     "xor %%eax, %%eax\n\t"
                     "xor %%ebx, %%ebx\n\t"
                     "xor %%ecx, %%ecx\n\t"
                     "xor %%edx, %%edx\n\t"
                     "xor %%esi, %%esi\n\t"
                     "xor %%edi, %%edi\n\t"
                     "xor %%ebp, %%ebp\n\t"
                     "xor %%r8d, %%r8d\n\t"
                     "xor %%r9d, %%r9d\n\t"
                     "xor %%r10d, %%r10d\n\t"
                     "xor %%r11d, %%r11d\n\t"
                     "xor %%r12d, %%r12d\n\t"
                     "xor %%r13d, %%r13d\n\t"
                     "xor %%r14d, %%r14d\n\t"
                     "xor %%r15d, %%r15d\n\t"
                     "push $0x202\n\t"
                     "popfq\n\t"
                     "ret"
                     :
                     : "r"(sp), "r"(entry)
                     : "memory");
    __builtin_unreachable();
}
