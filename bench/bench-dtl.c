/* bench-dtl.c — the standard transform (bench README) written in DTL, evaluated on the standard
 * entities: compiles once, then times only the evaluation (running the default rule and building
 * each output entity body).  Parsing the input is not timed.
 *
 *   bench-dtl ENTITIES.jsonl [ROUNDS]
 *
 * bench/run-dtl-bench.sh runs it next to the equivalent Python function and prints the ratio. */
#include <stdio.h>
#include <stdlib.h>

#include "dtl-compiler.h"

#define STANDARD_RULES                                                                         \
  "{\"default\": [[\"copy\", \"_id\"], [\"add\", \"type\", \"customer\"],"                    \
  " [\"add\", \"name\", [\"upper\", \"_S.name\"]], [\"add\", \"mail\", \"_S.email\"],"          \
  " [\"add\", \"age\", \"_S.age\"], [\"add\", \"city\", \"_S.address.city\"]]}"

int
main (int argc, char **argv)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceJsonReader) reader = NULL;
  g_autoptr (GPtrArray) entities = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_value_unref);
  g_autoptr (SluiceValue) rules = sluice_value_from_json (STANDARD_RULES, -1, NULL);
  DtlSettings settings = { FALSE, NULL, NULL, "bench", TRUE };
  DtlProgram *program;
  SluiceValue *v;
  size_t len;
  int rounds = argc > 2 ? atoi (argv[2]) : 3;
  double best = 0;
  size_t checksum = 0;

  if (argc < 2 || !g_file_get_contents (argv[1], &text, &len, &error))
    {
      fprintf (stderr, "usage: bench-dtl ENTITIES.jsonl [ROUNDS]%s%s\n", error ? ": " : "",
               error ? error->message : "");
      return 2;
    }
  reader = sluice_json_reader_new (0);
  if (!sluice_json_reader_feed (reader, text, len, &error) || !sluice_json_reader_finish (reader, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  while ((v = sluice_json_reader_pop (reader)) != NULL)
    g_ptr_array_add (entities, v);
  program = sluice_dtl_program_compile (rules, &settings, &error);
  g_assert_no_error (error);

  for (int r = 0; r < rounds; r++)
    {
      gint64 start = g_get_monotonic_time ();
      double rate;

      for (guint i = 0; i < entities->len; i++)
        {
          DtlResult result;

          if (!sluice_dtl_program_run (program, entities->pdata[i], NULL, &result, &error))
            g_error ("%s", error->message);
          checksum += sluice_value_dict_get_size (result.target);
          sluice_dtl_result_clear (&result);
        }
      rate = entities->len / ((g_get_monotonic_time () - start) / 1e6);
      if (rate > best)
        best = rate;
    }
  printf ("dtl: %u entities, best of %d rounds: %.0f entities/s (checksum %zu)\n", entities->len, rounds,
          best, checksum);
  sluice_dtl_program_free (program);
  return 0;
}
