/* test-child.h — running part of a test in a forked child, so that a crash (SIGSEGV, SIGBUS) is
 * something the test sees and counts instead of the end of the test run. */
#pragma once

#include <glib.h>

/* Forks, runs @func (@data) in the child and exits 0 there; returns TRUE when the child exited 0,
 * otherwise FALSE after a line on stderr saying how it ended.  When @ret_status is not NULL it
 * receives the wait status.  cmocka's assertions must not be used in @func (they would go on
 * running the test suite in the child): use sluice_test_child_fail. */
gboolean sluice_test_run_child (void (*func) (gpointer data), gpointer data, int *ret_status);

/* In the child: prints the message on stderr and exits with status 1. */
G_NORETURN void sluice_test_child_fail (const char *format, ...) G_GNUC_PRINTF (1, 2);
