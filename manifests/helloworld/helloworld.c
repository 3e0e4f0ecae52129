/* The C hello world of manifests/helloworld.manifest.template (Gramine's CI-Examples/helloworld). */
#include <stdio.h>

int main(void)
{
    printf("Hello, world\n");
    return 0;
}
