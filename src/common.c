/* common.c: the checks and the exec shared by the mail and CGI wrappers. */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <syslog.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

int running_as_cgi = 0;

/* The only environment variables a script receives: what CGI needs, and a
 * few names that identify the caller.  Everything else (PATH, PYTHON*, LD_*,
 * IFS, ...) is dropped, so a caller cannot steer the interpreter. */
static const char *const keep_environment[] = {
    "CONTENT_TYPE", "HOST", "HTTP_COOKIE", "HTTP_FORWARDED_FOR",
    "HTTP_HOST", "HTTP_X_FORWARDED_FOR", "LOGNAME", "PATH_INFO",
    "QUERY_STRING", "REMOTE_ADDR", "REQUEST_METHOD", "REQUEST_URI",
    "SCRIPT_NAME", "SERVER_NAME", "SERVER_PORT", "USER", "CONTENT_LENGTH",
    "DOCUMENT_ROOT", "SERVER_PROTOCOL", "REQUEST_SCHEME", "HTTPS",
    "REMOTE_PORT", NULL
};

/* Write TEXT with the five HTML metacharacters escaped. */
static void put_html_escaped(const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '&': fputs("&amp;", stdout); break;
        case '<': fputs("&lt;", stdout); break;
        case '>': fputs("&gt;", stdout); break;
        case '"': fputs("&quot;", stdout); break;
        case '\'': fputs("&#39;", stdout); break;
        default: putchar(*text);
        }
    }
}

void fatal(const char *ident, int status, const char *format, ...)
{
    char message[2048];
    va_list args;

    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);

    openlog(ident, LOG_PID, LOG_MAIL);
    syslog(LOG_ERR, "%s", message);
    closelog();

    if (running_as_cgi) {
        /* The web server shows stdout; a bare status would be a blank page. */
        fputs("Status: 500 Internal Server Error\r\n"
              "Content-Type: text/html; charset=us-ascii\r\n\r\n"
              "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"us-ascii\">"
              "<title>Mailman CGI error!!!</title></head>\n<body>\n"
              "<h1>Mailman CGI error!!!</h1>\n<p>", stdout);
        put_html_escaped(message);
        fputs("</p>\n<p>This error was also sent to the system log.</p>\n"
              "</body></html>\n", stdout);
        fflush(stdout);
    } else {
        fprintf(stderr, "%s: %s\n", ident, message);
    }
    exit(status);
}

void check_caller(const char *ident, const char *expected_group,
                  const char *server, const char *option)
{
    gid_t rgid = getgid();
    struct group *entry = getgrgid(rgid);

    if (entry == NULL)
        fatal(ident, GROUP_NAME_NOT_FOUND,
              "the calling process's group id %ld has no name in the "
              "group database, so it cannot be checked against \"%s\"",
              (long)rgid, expected_group);

    if (strcmp(entry->gr_name, expected_group) != 0)
        fatal(ident, GROUP_MISMATCH,
              "Group mismatch error: this wrapper may only be run by group "
              "\"%s\", but it was run by group \"%s\".  Make the %s server "
              "run it as group \"%s\", or re-run configure with %s=%s.",
              expected_group, entry->gr_name, server, expected_group,
              option, entry->gr_name);
}

/* Return a fresh environment: the whitelisted variables plus PYTHONPATH. */
static char **safe_environment(void)
{
    static char pythonpath[] = "PYTHONPATH=" PREFIX;
    size_t count = 0, kept = 0;
    char **env, **fresh;

    for (env = environ; env && *env; env++)
        count++;
    fresh = calloc(count + 2, sizeof *fresh);
    if (fresh == NULL)
        return NULL;

    for (env = environ; env && *env; env++) {
        const char *const *name;
        for (name = keep_environment; *name; name++) {
            size_t length = strlen(*name);
            if (strncmp(*env, *name, length) == 0 && (*env)[length] == '=') {
                fresh[kept++] = *env;
                break;
            }
        }
    }
    fresh[kept++] = pythonpath;
    fresh[kept] = NULL;
    return fresh;
}

void run_script(const char *ident, const char *script, char *const args[])
{
    static const char scripts_dir[] = PREFIX "/scripts/";
    char *path;
    char **argv, **env;
    size_t nargs = 0, i;

    /* Become the Mailman group for real, so that files the script creates,
     * and programs it starts, keep the group. */
    if (setregid(getegid(), (gid_t)-1) != 0)
        fatal(ident, SETREGID_FAILURE, "cannot set the real group id: %s",
              strerror(errno));

    path = malloc(sizeof scripts_dir + strlen(script));
    while (args[nargs])
        nargs++;
    argv = calloc(nargs + 4, sizeof *argv);
    env = safe_environment();
    if (path == NULL || argv == NULL || env == NULL)
        fatal(ident, EXECVE_FAILURE, "out of memory");

    strcpy(path, scripts_dir);
    strcat(path, script);
    argv[0] = PYTHON;
    argv[1] = "-S";
    argv[2] = path;
    for (i = 0; i < nargs; i++)
        argv[3 + i] = args[i];
    argv[3 + nargs] = NULL;

    execve(PYTHON, argv, env);
    fatal(ident, EXECVE_FAILURE, "cannot run %s: %s", PYTHON, strerror(errno));
}
