/* sluicectl.c — the command-line client of sluiced (docs/sluicectl.md): parses the command line,
 * connects to the bus, runs one command (sluicectl-commands.c) and turns its outcome into the
 * exit status scripts rely on. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "sluicectl-commands.h"

static const char description_text[]
    = "Commands:\n"
      "%s\n"
      "Options apply where they make sense: --json to every command that prints, -n to preview,\n"
      "--since and --limit to entities, --comment to enable and disable, --force to reset and\n"
      "set-since, --end to set-since, --runs to watch.\n"
      "\n"
      "Output: tables and lists for people by default; with --json, JSON for scripts (the\n"
      "properties keep their D-Bus names).  preview, entities and expand always print JSON.\n"
      "\n"
      "Exit status:\n"
      "  0  the command succeeded\n"
      "  1  sluiced refused or the operation failed (the reason is on stderr)\n"
      "  2  the command line is wrong\n"
      "  3  sluiced cannot be reached: no bus, or it is not running on it\n"
      "  4  no such pipe or dataset, or no tripped circuit breaker on it\n"
      "\n"
      "Environment:\n"
      "  SLUICE_BUS  the bus to use when --bus is not given (default: system)\n"
      "\n"
      "sluicectl talks to org.sluice.Sluice1 over D-Bus; see docs/dbus.md for the interfaces.\n";

static char *
describe_commands (void)
{
  GString *text = g_string_new (NULL);

  for (const SluicectlCommand *command = sluicectl_commands; command->name != NULL; command++)
    {
      g_autofree char *synopsis = g_strdup_printf ("%s %s", command->name, command->arguments);

      g_string_append_printf (text, "  %-46s %s\n", synopsis, command->summary);
    }
  return g_string_free (text, FALSE);
}

static void
options_clear (SluicectlOptions *options)
{
  g_clear_pointer (&options->bus, g_free);
  g_clear_pointer (&options->comment, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SluicectlOptions, options_clear)

static int usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

static int
usage_error (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "sluicectl: %s\nTry 'sluicectl --help'.\n", message);
  return SLUICECTL_EXIT_USAGE;
}

int
main (int argc, char **argv)
{
  g_auto (SluicectlOptions) options = { .n = 10, .since = -1 };
  const GOptionEntry entries[] = {
    { "bus", 0, 0, G_OPTION_ARG_STRING, &options.bus,
      "The bus sluiced is on: system or session (default: $SLUICE_BUS, else system)", "BUS" },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &options.json, "Print JSON for scripts", NULL },
    { "number", 'n', 0, G_OPTION_ARG_INT, &options.n, "preview: how many entities (default 10)",
      "N" },
    { "since", 0, 0, G_OPTION_ARG_INT64, &options.since,
      "entities: only versions after this offset", "OFFSET" },
    { "limit", 0, 0, G_OPTION_ARG_INT64, &options.limit, "entities: at most N entities", "N" },
    { "comment", 0, 0, G_OPTION_ARG_STRING, &options.comment,
      "enable, disable: why, for the execution log", "TEXT" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &options.force,
      "reset, set-since, delete-dataset: also on a durable pipe", NULL },
    { "end", 0, 0, G_OPTION_ARG_NONE, &options.end,
      "set-since: everything the source holds now counts as seen", NULL },
    { "runs", 0, 0, G_OPTION_ARG_INT, &options.runs, "watch: exit after N runs ended", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("COMMAND [ARGUMENT…]");
  g_autoptr (GError) error = NULL;
  g_autofree char *commands = describe_commands ();
  g_autofree char *description = g_strdup_printf (description_text, commands);
  g_auto (SluicectlClient) client = { 0 };
  g_auto (GStrv) args = NULL;
  const SluicectlCommand *command;
  guint n_args;

  setlocale (LC_ALL, "");
  g_option_context_set_summary (context, "Control a running sluiced over D-Bus.");
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error ("%s", error->message);
  if (argc < 2)
    return usage_error ("no command given");
  command = sluicectl_command_lookup (argv[1]);
  if (command == NULL)
    return usage_error ("unknown command '%s'", argv[1]);
  n_args = (guint)argc - 2;
  if (n_args < command->min_args || n_args > command->max_args)
    return usage_error ("usage: sluicectl %s %s", command->name, command->arguments);
  args = g_new0 (char *, n_args + 1);
  for (guint i = 0; i < n_args; i++)
    args[i] = g_strdup (argv[i + 2]);
  if (options.bus == NULL)
    options.bus = g_strdup (g_getenv ("SLUICE_BUS") != NULL && g_getenv ("SLUICE_BUS")[0] != '\0'
                                ? g_getenv ("SLUICE_BUS")
                                : "system");

  if (!sluicectl_client_connect (&client, options.bus, &error)
      || !command->func (&client, &options, args, &error))
    {
      g_autofree char *message = sluicectl_client_error_message (&client, error);

      fprintf (stderr, "sluicectl: %s\n", message);
      return sluicectl_client_exit_code (error);
    }
  return SLUICECTL_EXIT_OK;
}
