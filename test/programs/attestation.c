/*
 * /dev/attestation under gramine-ts (docs/attestation.md), as a Gramine app uses it.
 *
 *   attestation report QUOTE-OUT
 *     local attestation: writes user_report_data, copies my_target_info to target_info, reads
 *     report and checks its report data and MRENCLAVE; a forked child (another process of the
 *     instance) checks the parent's report with its own report key (keys/_sgx_report_key, what
 *     EGETKEY gives an SGX enclave): AES-128-CMAC over the body, as SGX; a changed report and
 *     one made for another enclave do not check. Then reads a quote into QUOTE-OUT.
 *   attestation keys NAME HEX
 *     lists keys/ with each key's size and bytes, tries wrong-size writes to keys/NAME and a
 *     write to a derived key, writes HEX (16 bytes) to keys/NAME, and a forked child reads it.
 *
 * Prints one line per step; a failed check prints "FAIL ..." and the exit status is 1.
 */
#include "t.h" /* first: it defines _GNU_SOURCE */

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/wait.h>

#define DEV "/dev/attestation/"
#define REPORT_BODY_SIZE 384
#define REPORT_SIZE 432
#define TARGET_INFO_SIZE 512
#define MRENCLAVE_AT 64
#define MRSIGNER_AT 128
#define REPORT_DATA_AT 320
#define MAC_AT 416

static int failed;

static void fail(const char *what)
{
    printf("FAIL %s\n", what);
    failed = 1;
}

static void hex(const char *label, const uint8_t *b, size_t n)
{
    printf("%s ", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    putchar('\n');
}

/* Read all of a file (at most `size` bytes): the count, or -1 with errno. */
static ssize_t read_file(const char *path, void *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t got = 0;
    for (ssize_t n; got < size && (n = read(fd, (char *)buf + got, size - got)) != 0; got += (size_t)n)
        if (n < 0) {
            close(fd);
            return -1;
        }
    close(fd);
    return (ssize_t)got;
}

/* One write of `n` bytes to a fresh open of `path`: what write returned, or -1 with errno. */
static ssize_t write_file(const char *path, const void *buf, size_t n)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t r = write(fd, buf, n);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

static void must_read(const char *path, void *buf, size_t size)
{
    if (read_file(path, buf, size) != (ssize_t)size) {
        printf("FAIL read %s: %s\n", path, ename(errno));
        exit(1);
    }
}

static void must_write(const char *path, const void *buf, size_t n)
{
    if (write_file(path, buf, n) != (ssize_t)n) {
        printf("FAIL write %s: %s\n", path, ename(errno));
        exit(1);
    }
}

/* --- AES-128 and AES-CMAC (RFC 4493), enough to check a report's MAC ------------------------ */

static const uint8_t sbox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};

static uint8_t xtime(uint8_t x)
{
    return (uint8_t)((x << 1) ^ ((x >> 7) * 0x1b));
}

static void aes128_encrypt(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
    uint8_t rk[176], s[16], t[16], rcon = 1;
    memcpy(rk, key, 16);
    for (int i = 16; i < 176; i += 4) {
        uint8_t w[4];
        memcpy(w, rk + i - 4, 4);
        if (i % 16 == 0) {
            uint8_t first = w[0];
            w[0] = sbox[w[1]] ^ rcon;
            w[1] = sbox[w[2]];
            w[2] = sbox[w[3]];
            w[3] = sbox[first];
            rcon = xtime(rcon);
        }
        for (int j = 0; j < 4; j++)
            rk[i + j] = rk[i + j - 16] ^ w[j];
    }
    for (int i = 0; i < 16; i++)
        s[i] = in[i] ^ rk[i];
    for (int round = 1; round <= 10; round++) {
        for (int c = 0; c < 4; c++) /* SubBytes and ShiftRows */
            for (int r = 0; r < 4; r++)
                t[c * 4 + r] = sbox[s[((c + r) % 4) * 4 + r]];
        for (int c = 0; round < 10 && c < 4; c++) { /* MixColumns */
            uint8_t *col = t + c * 4, a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
            uint8_t all = a0 ^ a1 ^ a2 ^ a3;
            col[0] ^= all ^ xtime(a0 ^ a1);
            col[1] ^= all ^ xtime(a1 ^ a2);
            col[2] ^= all ^ xtime(a2 ^ a3);
            col[3] ^= all ^ xtime(a3 ^ a0);
        }
        for (int i = 0; i < 16; i++)
            s[i] = t[i] ^ rk[round * 16 + i];
    }
    memcpy(out, s, 16);
}

/* The CMAC subkey doubling: shift left by one bit in GF(2^128). */
static void dbl(uint8_t k[16])
{
    uint8_t carry = k[0] >> 7;
    for (int i = 0; i < 15; i++)
        k[i] = (uint8_t)((k[i] << 1) | (k[i + 1] >> 7));
    k[15] = (uint8_t)((k[15] << 1) ^ (carry ? 0x87 : 0));
}

static void aes_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t mac[16])
{
    uint8_t k1[16] = {0}, k2[16], x[16] = {0};
    aes128_encrypt(key, k1, k1);
    dbl(k1);
    memcpy(k2, k1, 16);
    dbl(k2);
    size_t blocks = len ? (len + 15) / 16 : 1;
    for (size_t i = 0; i < blocks; i++) {
        uint8_t block[16] = {0};
        size_t take = i + 1 < blocks ? 16 : len - 16 * i;
        memcpy(block, msg + 16 * i, take);
        if (i + 1 == blocks) {
            if (take < 16)
                block[take] = 0x80;
            for (int j = 0; j < 16; j++)
                block[j] ^= take == 16 ? k1[j] : k2[j];
        }
        for (int j = 0; j < 16; j++)
            x[j] ^= block[j];
        aes128_encrypt(key, x, x);
    }
    memcpy(mac, x, 16);
}

/* RFC 4493's examples 1 and 2: a wrong MAC below is then the report's, not this code's. */
static bool cmac_self_test(void)
{
    static const uint8_t key[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
    static const uint8_t msg[16] = {0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a};
    static const uint8_t empty_mac[16] = {0xbb, 0x1d, 0x69, 0x29, 0xe9, 0x59, 0x37, 0x28, 0x7f, 0xa3, 0x7d, 0x12, 0x9b, 0x75, 0x67, 0x46};
    static const uint8_t msg_mac[16] = {0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44, 0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a, 0x28, 0x7c};
    uint8_t mac[16];
    aes_cmac(key, msg, 0, mac);
    bool ok = !memcmp(mac, empty_mac, 16);
    aes_cmac(key, msg, 16, mac);
    return ok && !memcmp(mac, msg_mac, 16);
}

/* --- local attestation and quotes ---------------------------------------------------------- */

/* What a process of the instance does with a report it was sent: check it with its own report key. */
static bool report_checks(const uint8_t report[REPORT_SIZE])
{
    uint8_t key[16], mac[16];
    must_read(DEV "keys/_sgx_report_key", key, sizeof(key));
    aes_cmac(key, report, REPORT_BODY_SIZE, mac);
    return !memcmp(mac, report + MAC_AT, 16);
}

static void verify_in_child(const uint8_t report[REPORT_SIZE], const uint8_t other_target[REPORT_SIZE])
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        uint8_t changed[REPORT_SIZE];
        memcpy(changed, report, REPORT_SIZE);
        changed[REPORT_DATA_AT] ^= 1;
        bool ok = report_checks(report), changed_ok = report_checks(changed), other_ok = report_checks(other_target);
        say("child: the report %s", ok ? "checks" : "does not check");
        say("child: a changed report %s", changed_ok ? "checks" : "does not check");
        say("child: a report for another enclave %s", other_ok ? "checks" : "does not check");
        _exit(ok && !changed_ok && !other_ok ? 0 : 1);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("the child did not verify the report as expected");
}

static int report_and_quote(const char *quote_out)
{
    if (!cmac_self_test())
        fail("AES-CMAC self test");
    char type[32] = {0};
    if (read_file(DEV "attestation_type", type, sizeof(type) - 1) < 0)
        fail("read attestation_type");
    say("attestation_type %s", type);

    uint8_t user_data[64] = {0}, target_info[TARGET_INFO_SIZE], report[REPORT_SIZE];
    snprintf((char *)user_data, sizeof(user_data), "gramine-ts attestation test %d", 42);
    must_write(DEV "user_report_data", user_data, sizeof(user_data));
    must_read(DEV "my_target_info", target_info, sizeof(target_info));
    must_write(DEV "target_info", target_info, sizeof(target_info));
    must_read(DEV "report", report, sizeof(report));
    say("report_data %s", memcmp(report + REPORT_DATA_AT, user_data, 64) ? "wrong" : "is user_report_data");
    say("mrenclave %s", memcmp(report + MRENCLAVE_AT, target_info, 32) ? "differs from my_target_info's" : "is my_target_info's");
    hex("mrenclave", report + MRENCLAVE_AT, 32);
    hex("mrsigner", report + MRSIGNER_AT, 32);

    /* a report for an enclave of another measurement: its MAC is that enclave's business */
    uint8_t other_target[TARGET_INFO_SIZE], other_report[REPORT_SIZE];
    memcpy(other_target, target_info, sizeof(other_target));
    other_target[0] ^= 0xff;
    must_write(DEV "target_info", other_target, sizeof(other_target));
    must_read(DEV "report", other_report, sizeof(other_report));
    verify_in_child(report, other_report);

    /* a shorter user_report_data is zero-padded, as Gramine pads it */
    int fd = open(DEV "user_report_data", O_WRONLY | O_TRUNC);
    if (fd < 0 || write(fd, "short data", 10) != 10)
        fail("short write of user_report_data");
    close(fd);
    must_read(DEV "report", other_report, sizeof(other_report));
    uint8_t padded[64] = "short data";
    say("short report data %s", memcmp(other_report + REPORT_DATA_AT, padded, 64) ? "not zero-padded" : "zero-padded");

    must_write(DEV "user_report_data", user_data, sizeof(user_data));
    uint8_t quote[8192];
    ssize_t n = read_file(DEV "quote", quote, sizeof(quote));
    if (n <= 0)
        fail("read quote");
    FILE *out = fopen(quote_out, "w");
    if (!out || fwrite(quote, 1, (size_t)n, out) != (size_t)n || fclose(out) != 0)
        fail("write the quote out");
    say("quote %zd bytes", n);
    return failed;
}

/* --- keys ---------------------------------------------------------------------------------- */

static int parse_hex(const char *text, uint8_t *out, size_t n)
{
    if (strlen(text) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (sscanf(text + 2 * i, "%2hhx", &out[i]) != 1)
            return -1;
    return 0;
}

static void list_keys(void)
{
    DIR *d = opendir(DEV "keys");
    if (!d) {
        fail("opendir keys");
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        uint8_t key[64];
        snprintf(path, sizeof(path), DEV "keys/%s", e->d_name);
        ssize_t n = read_file(path, key, sizeof(key));
        printf("key %s: %zd bytes", e->d_name, n);
        hex("", key, n > 0 ? (size_t)n : 0);
    }
    closedir(d);
}

static int keys(const char *name, const char *new_hex)
{
    uint8_t new_key[16], before[16], after[16], long_write[32] = {0};
    if (parse_hex(new_hex, new_key, sizeof(new_key)) < 0)
        die("HEX: 32 hex digits");
    char path[512];
    snprintf(path, sizeof(path), DEV "keys/%s", name);
    list_keys();

    must_read(path, before, sizeof(before));
    T("write 17 bytes", write_file(path, long_write, 17));
    T("write 32 bytes", write_file(path, long_write, 32));
    must_read(path, after, sizeof(after));
    say("after the wrong-size writes: the key %s", memcmp(before, after, 16) ? "changed" : "is unchanged");
    T("open _sgx_mrenclave for writing", open(DEV "keys/_sgx_mrenclave", O_WRONLY));
    T("open protected_files_key for writing", open(DEV "protected_files_key", O_WRONLY));

    must_write(path, new_key, sizeof(new_key));
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        uint8_t seen[16];
        must_read(path, seen, sizeof(seen));
        hex("child reads", seen, sizeof(seen));
        char pf_key[40] = {0};
        if (read_file(DEV "protected_files_key", pf_key, sizeof(pf_key) - 1) >= 0)
            say("child: protected_files_key %s", pf_key);
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || status != 0)
        fail("child");
    return failed;
}

int main(int argc, char **argv)
{
    t_init();
    if (argc == 3 && !strcmp(argv[1], "report"))
        return report_and_quote(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "keys"))
        return keys(argv[2], argv[3]);
    fprintf(stderr, "usage: %s report QUOTE-OUT | keys NAME HEX\n", argv[0]);
    return 2;
}
