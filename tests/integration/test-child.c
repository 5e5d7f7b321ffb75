/* test-child.c — running part of a test in a forked child (see test-child.h). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-child.h"

gboolean
sluice_test_run_child (void (*func) (gpointer data), gpointer data, int *ret_status)
{
  pid_t pid;
  int status;

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    g_error ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      /* cmocka catches these to fail a test; in the child they must end it. */
      signal (SIGSEGV, SIG_DFL);
      signal (SIGBUS, SIG_DFL);
      func (data);
      _exit (0);
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      g_error ("waitpid: %s", g_strerror (errno));
  if (ret_status != NULL)
    *ret_status = status;
  if (WIFSIGNALED (status))
    fprintf (stderr, "child killed by signal %d (%s)\n", WTERMSIG (status),
             g_strsignal (WTERMSIG (status)));
  else if (WEXITSTATUS (status) != 0)
    fprintf (stderr, "child exited with status %d\n", WEXITSTATUS (status));
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

void
sluice_test_child_fail (const char *format, ...)
{
  va_list ap;

  va_start (ap, format);
  vfprintf (stderr, format, ap);
  va_end (ap);
  fputc ('\n', stderr);
  _exit (1);
}
