/* err.c -- error messages carried in a caller-owned buffer.
 * Library code never prints: it fills a dn_err and returns -1, and the
 * caller (the CLI, a test) decides what to do with the message. */
#include "engine.h"

#include <stdarg.h>
#include <string.h>

int dn_errf(dn_err *e, const char *fmt, ...)
{
    if (!e) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int dn_errpre(dn_err *e, const char *fmt, ...)
{
    if (!e) return -1;
    char pre[512], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    size_t n = strlen(pre);
    if (n >= sizeof e->msg) n = sizeof e->msg - 1;
    memcpy(e->msg, pre, n);
    size_t m = strlen(old);
    if (n + m >= sizeof e->msg) m = sizeof e->msg - 1 - n;
    memcpy(e->msg + n, old, m);
    e->msg[n + m] = 0;
    return -1;
}
