/* bench-dtl.c — the standard transform (bench README) written in DTL, evaluated on the standard
 * entities: compiles once, then times only the evaluation (running the default rule and building
 * each output entity body), in a loop like the dtl element's (which prefetches the entity two
 * ahead).  Parsing the input is not timed.  Times are thread CPU time, best of ROUNDS, so that
 * other processes on a shared machine disturb the figure less.
 *
 *   bench-dtl ENTITIES.jsonl [ROUNDS [SAMPLE.jsonl]]
 *
 * With SAMPLE.jsonl, a sample of about 1,000 outputs (every Nth entity) is written there as
 * entities in JSON, for bench/run-dtl-bench.sh to compare with the Python function's output.
 * bench/run-dtl-bench.sh runs it next to the equivalent Python function and prints the ratio. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dtl-compiler.h"

#define STANDARD_RULES                                                                         \
  "{\"default\": [[\"copy\", \"_id\"], [\"add\", \"type\", \"customer\"],"                    \
  " [\"add\", \"name\", [\"upper\", \"_S.name\"]], [\"add\", \"mail\", \"_S.email\"],"          \
  " [\"add\", \"age\", \"_S.age\"], [\"add\", \"city\", \"_S.address.city\"]]}"

/* How far ahead the loop prefetches entities: the value of the dtl element (dtl-plugin.c). */
#define PREFETCH_AHEAD 2

/* Thread CPU time in µs: on a shared machine, wall time mostly measures the other processes. */
static gint64
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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
      fprintf (stderr, "usage: bench-dtl ENTITIES.jsonl [ROUNDS [SAMPLE.jsonl]]%s%s\n", error ? ": " : "",
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
      gint64 start = cpu_now ();
      double rate;

      for (guint i = 0; i < entities->len; i++)
        {
          DtlResult result;

          /* As the dtl element's batch loop does. */
          if (i + PREFETCH_AHEAD < entities->len)
            sluice_value_prefetch (entities->pdata[i + PREFETCH_AHEAD]);
          if (!sluice_dtl_program_run (program, entities->pdata[i], NULL, &result, &error))
            g_error ("%s", error->message);
          checksum += sluice_value_dict_get_size (result.target);
          sluice_dtl_result_clear (&result);
        }
      rate = entities->len / ((cpu_now () - start) / 1e6);
      if (rate > best)
        best = rate;
    }
  printf ("dtl: %u entities, best of %d rounds: %.0f entities/s (checksum %zu)\n", entities->len, rounds,
          best, checksum);
  if (argc > 3)
    {
      guint step = MAX (1, entities->len / 1000);
      GString *out = g_string_new (NULL);

      /* The outputs as the dtl element emits them: entities. */
      for (guint i = 0; i < entities->len; i += step)
        {
          DtlResult result;
          g_autoptr (SluiceEntity) entity = NULL;

          if (!sluice_dtl_program_run (program, entities->pdata[i], NULL, &result, &error))
            g_error ("%s", error->message);
          entity = sluice_entity_new (result.target, &error);
          g_assert_no_error (error);
          sluice_entity_write_json (out, entity);
          g_string_append_c (out, '\n');
          sluice_dtl_result_clear (&result);
        }
      if (!g_file_set_contents (argv[3], out->str, (gssize) out->len, &error))
        g_error ("%s", error->message);
      g_string_free (out, TRUE);
    }
  sluice_dtl_program_free (program);
  return 0;
}
