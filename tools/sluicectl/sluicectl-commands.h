/* sluicectl-commands.h — the commands of sluicectl, one function each, and the table main ()
 * dispatches on.  A command prints its result on stdout and returns FALSE with an error when
 * it failed; main () prints the error and picks the exit status (sluicectl-client.h). */
#pragma once

#include "sluicectl-client.h"

G_BEGIN_DECLS

/* The options of every command, parsed once by main (). */
typedef struct
{
  char *bus;      /* "system" (default) or "session" */
  gboolean json;  /* machine-readable output */
  int n;          /* preview: how many entities (default 10) */
  gint64 since;   /* entities: after this offset; -1 from the beginning */
  gint64 limit;   /* entities: at most this many; 0 unlimited */
  char *comment;  /* enable, disable */
  gboolean force; /* reset, set-since on durable pipes */
  gboolean end;   /* set-since --end */
  int runs;       /* watch: exit after this many runs ended; 0: never */
} SluicectlOptions;

typedef gboolean (*SluicectlCommandFunc) (SluicectlClient *client, const SluicectlOptions *options,
                                          char **args, GError **error);

typedef struct
{
  const char *name;
  const char *arguments; /* for usage messages */
  guint min_args;
  guint max_args;
  SluicectlCommandFunc func;
  const char *summary;
} SluicectlCommand;

/* The commands in the order --help lists them; the last entry has a NULL name. */
extern const SluicectlCommand sluicectl_commands[];

const SluicectlCommand *sluicectl_command_lookup (const char *name);

G_END_DECLS
