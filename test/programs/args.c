/* Echoes its argv and one environment variable, then exits with the status given in argv[1]. */
#include "t.h"

int main(int argc, char **argv)
{
    t_init();
    for (int i = 0; i < argc; i++)
        say("argv[%d] = %s", i, argv[i]);
    const char *v = getenv("GTS_TEST_VAR");
    say("GTS_TEST_VAR = %s", v ? v : "(unset)");
    char buf[64];
    ssize_t n = read(0, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    say("stdin = %s", buf);
    fprintf(stderr, "to stderr\n");
    return argc > 1 ? atoi(argv[1]) : 0;
}
