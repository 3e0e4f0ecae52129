#ifndef GRAMINE_TS_LOADER_H
#define GRAMINE_TS_LOADER_H

#include <stdint.h>

struct loaded_elf {
    uintptr_t base;  /* load bias (0 for ET_EXEC) */
    uintptr_t entry; /* absolute entry point */
    uintptr_t phdr;  /* absolute address of the program headers */
    uint16_t phnum;
    uint16_t phent;
};

/* Map an ELF executable or shared object from fd; returns 0 or -errno. */
long load_elf(int fd, struct loaded_elf *out);

/*
 * Build the app's initial stack below the stub's own (kernel-made) one and jump to entry.
 * The strings of argv and envp are reused in place; auxv is the kernel's with the program's
 * own values for AT_PHDR, AT_PHENT, AT_PHNUM, AT_ENTRY, AT_BASE and AT_EXECFN.
 */
__attribute__((noreturn)) void start_app(uintptr_t *kernel_sp, const struct loaded_elf *prog,
                                         const struct loaded_elf *interp, const char *execfn);

#endif
