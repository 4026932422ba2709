/* common.h: shared by Mailman's setgid mail and CGI wrappers.
 *
 * The wrappers are the only way mail servers and web servers enter Mailman.
 * They are installed setgid to Mailman's group, so they must trust nothing
 * they inherit: they check the caller's group, rebuild the environment from
 * a short whitelist and run a fixed interpreter on a fixed script.
 */
#ifndef MAILMAN_WRAPPER_COMMON_H
#define MAILMAN_WRAPPER_COMMON_H

/* Exit statuses, the same numbers as Mailman 2.1's wrappers. */
#define GROUP_MISMATCH        2
#define SETREGID_FAILURE      3
#define EXECVE_FAILURE        4
#define MAIL_USAGE_ERROR      5
#define MAIL_ILLEGAL_COMMAND  6
#define ADDALIAS_USAGE_ERROR  7   /* reserved; no alias wrapper is built */
#define GROUP_NAME_NOT_FOUND  8

/* Compiled-in settings; the Makefile defines them from configure's results. */
#ifndef PREFIX
#error "PREFIX must be defined"
#endif
#ifndef PYTHON
#error "PYTHON must be defined"
#endif

/* Set by the CGI wrapper so that errors become an HTML page. */
extern int running_as_cgi;

/* Log MESSAGE to syslog and to the caller, then exit with STATUS. */
void fatal(const char *ident, int status, const char *format, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/* Exit unless the caller's real group is named EXPECTED_GROUP.  OPTION names
 * the configure option that sets it, for the error message. */
void check_caller(const char *ident, const char *expected_group,
                  const char *server, const char *option);

/* Run $PREFIX/scripts/SCRIPT under PYTHON with ARGS (NULL-terminated) and a
 * whitelisted copy of the environment.  Returns only on failure. */
void run_script(const char *ident, const char *script, char *const args[]);

#endif
