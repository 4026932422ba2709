/* mail-wrapper.c: mail/mailman, run by the MTA for every list address.
 *
 * Usage: mailman COMMAND [LISTNAME]
 * Runs $PREFIX/scripts/COMMAND, which reads the message from stdin.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

#ifndef MAIL_GROUP
#error "MAIL_GROUP must be defined"
#endif

static const char ident[] = "Mailman mail-wrapper";

/* The scripts an alias may name; anything else is refused. */
static const char *const commands[] = {
    "admin", "bounces", "confirm", "join", "leave", "post", "owner",
    "request", "subscribe", "unsubscribe", NULL
};

static int is_known_command(const char *name)
{
    const char *const *command;
    for (command = commands; *command; command++)
        if (strcmp(name, *command) == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        fatal(ident, MAIL_USAGE_ERROR, "Usage: %s program [args...]",
              argc > 0 ? argv[0] : "mailman");

    if (!is_known_command(argv[1]))
        fatal(ident, MAIL_ILLEGAL_COMMAND, "Illegal command: %s", argv[1]);

    check_caller(ident, MAIL_GROUP, "mail", "--with-mail-gid");
    run_script(ident, argv[1], argv + 2);
    return EXECVE_FAILURE;      /* not reached: run_script exits on failure */
}
