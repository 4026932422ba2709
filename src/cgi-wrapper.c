/* cgi-wrapper.c: cgi-bin/<page>, run by the web server.
 *
 * Each copy is compiled with SCRIPT naming its page and always runs
 * $PREFIX/scripts/driver SCRIPT; the web server's arguments are ignored.
 */
#include <stddef.h>

#include "common.h"

#ifndef CGI_GROUP
#error "CGI_GROUP must be defined"
#endif
#ifndef SCRIPT
#error "SCRIPT must be defined"
#endif

static const char ident[] = "Mailman cgi-wrapper (" SCRIPT ")";

int main(int argc, char **argv)
{
    static char *const driver_args[] = { SCRIPT, NULL };

    (void)argc;
    (void)argv;
    running_as_cgi = 1;
    check_caller(ident, CGI_GROUP, "web", "--with-cgi-gid");
    run_script(ident, "driver", driver_args);
    return EXECVE_FAILURE;      /* not reached: run_script exits on failure */
}
