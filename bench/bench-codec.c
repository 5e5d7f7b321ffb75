/* bench-codec.c — throughput of the data-plane codec against json-glib (and, for the decision
 * record, yajl and json-c when they were found at build time), on the project's standard entity.
 *
 * Usage: bench-codec [N] [--input FILE] [--binary-only]
 *   N              number of entities to generate (default 200000, the standard run)
 *   --input        read JSON lines from FILE instead (e.g. the output of bench/gen_entities.py)
 *   --binary-only  only the binary form and the content hash, without the JSON comparisons: what
 *                  to run under callgrind to count their instructions per entity
 *
 * The input is generated in-process and deterministically: the same field shapes and value ranges
 * as bench/gen_entities.py (a copy of the shared generator), from a seeded GLib PRNG.  Figures are
 * printed as rates and as ratios against json-glib measured in the same run; nothing here asserts a
 * timing.
 */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "sluice-binary.h"
#include "sluice-hash.h"
#include "sluice-json.h"

#include "bench-codec-others.h"

#define SERIALIZE_SET 20000
#define ROUNDS 3

static GString *
generate (guint n)
{
  static const char *const first[] = { "Ola", "Kari", "John", "Mary", "Per", "Anne", "Lars",
                                       "Ingrid", "Nils", "Eva" };
  static const char *const last[] = { "Nordmann", "Smith", "Hansen", "Johansen", "Olsen",
                                      "Larsen", "Berg", "Dahl" };
  static const char *const cities[] = { "Oslo", "Bergen", "Trondheim" };
  static const char *const tags[] = { "a", "b", "c", "d", "e", "f" };
  g_autoptr (GRand) rnd = g_rand_new_with_seed (42);
  GString *out = g_string_sized_new ((gsize) n * 230);

  for (guint i = 0; i < n; i++)
    {
      int picked[6] = { 0 }, t[3];
      char score[32];

      for (int k = 0; k < 3; k++)
        {
          int j;

          do
            j = g_rand_int_range (rnd, 0, 6);
          while (picked[j]);
          picked[j] = 1;
          t[k] = j;
        }
      g_ascii_formatd (score, sizeof score, "%.3f", g_rand_double (rnd) * 100);
      g_string_append_printf (out,
                              "{\"_id\":\"person-%u\",\"name\":\"%s %s\",\"email\":\"user%u@example.org\","
                              "\"age\":%d,\"updated\":\"2026-%02d-%02dT12:00:00Z\","
                              "\"address\":{\"street\":\"Street %d\",\"zip\":\"%d\",\"city\":\"%s\"},"
                              "\"tags\":[\"%s\",\"%s\",\"%s\"],\"score\":%s}\n",
                              i, first[g_rand_int_range (rnd, 0, 10)], last[g_rand_int_range (rnd, 0, 8)],
                              i, g_rand_int_range (rnd, 18, 91), g_rand_int_range (rnd, 1, 13),
                              g_rand_int_range (rnd, 1, 29), g_rand_int_range (rnd, 1, 201),
                              g_rand_int_range (rnd, 1000, 10000), cities[g_rand_int_range (rnd, 0, 3)],
                              tags[t[0]], tags[t[1]], tags[t[2]], score);
    }
  return out;
}

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* Calls @fn on each line of @input. */
typedef void (*LineFunc) (const char *line, size_t len, gpointer user_data);

static guint
for_each_line (const GString *input, LineFunc fn, gpointer user_data)
{
  const char *p = input->str, *end = input->str + input->len;
  guint n = 0;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);

      if (len > 0)
        {
          fn (p, len, user_data);
          n++;
        }
      p += len + 1;
    }
  return n;
}

static void
ignore_line (const char *line, size_t len, gpointer user_data)
{
}

static void
glib_parse_line (const char *line, size_t len, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!json_parser_load_from_data (user_data, line, (gssize) len, &error))
    g_error ("json-glib: %s", error->message);
}

/* Parses @input in 64 KiB chunks, as a file or HTTP body arrives; keeps the first values in @keep
 * (when not NULL) for the serialize benchmark.  Returns the seconds it took. */
static double
parse_sluice (const GString *input, GPtrArray *keep, guint count)
{
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (0);
  g_autoptr (GError) error = NULL;
  const size_t chunk = 65536;
  guint got = 0;
  double t0 = now ();

  for (size_t off = 0; off < input->len; off += chunk)
    {
      SluiceValue *v;

      if (!sluice_json_reader_feed (reader, input->str + off, MIN (chunk, input->len - off), &error))
        g_error ("%s", error->message);
      while ((v = sluice_json_reader_pop (reader)) != NULL)
        {
          got++;
          if (keep != NULL && keep->len < SERIALIZE_SET)
            g_ptr_array_add (keep, v);
          else
            sluice_value_unref (v);
        }
    }
  if (!sluice_json_reader_finish (reader, &error))
    g_error ("%s", error->message);
  g_assert (got == count);
  return now () - t0;
}

static void
report (const char *what, guint n, size_t bytes, double secs, double baseline_rate)
{
  double rate = n / secs;

  printf ("  %-38s %10.0f entities/s", what, rate);
  if (bytes > 0)
    printf (" %8.1f MB/s", bytes / secs / 1e6);
  if (baseline_rate > 0)
    printf ("   %6.2fx json-glib", rate / baseline_rate);
  printf ("\n");
}

int
main (int argc, char **argv)
{
  g_autoptr (GString) input = NULL;
  guint n = 200000, count;
  double t0, glib_parse_rate, glib_ser_rate;
  g_autoptr (GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) sluice_value_unref);
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autoptr (GError) error = NULL;
  gboolean binary_only = FALSE;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--binary-only"))
        binary_only = TRUE;
      else if (g_str_equal (argv[i], "--input") && i + 1 < argc)
        {
          g_autofree char *text = NULL;
          gsize len;

          if (!g_file_get_contents (argv[++i], &text, &len, &error))
            g_error ("%s", error->message);
          input = g_string_new_len (text, (gssize) len);
        }
      else
        n = (guint) g_ascii_strtoull (argv[i], NULL, 10);
    }
  if (input == NULL)
    input = generate (n);
  count = for_each_line (input, ignore_line, NULL);
  printf ("bench-codec: %u entities, %.1f MB of JSON lines, %.0f bytes per entity\n\n", count,
          input->len / 1e6, (double) input->len / count);
  if (binary_only)
    parse_sluice (input, values, count);
  else
    {
      /* Each contender runs ROUNDS times, interleaved, and its best time counts: the machine may be
       * busy with other work, and the best round is the one least disturbed by it. */
      printf ("parse (JSON text to values, best of %d rounds):\n", ROUNDS);
      {
        g_autoptr (JsonParser) parser = json_parser_new_immutable ();
        double best_glib = G_MAXDOUBLE, best_yajl = G_MAXDOUBLE, best_json_c = G_MAXDOUBLE;
        double best_sluice = G_MAXDOUBLE;

        for (int round = 0; round < ROUNDS; round++)
          {
            double secs;

            /* Each timing in a variable of its own: MIN () evaluates its arguments twice. */
            t0 = now ();
            for_each_line (input, glib_parse_line, parser);
            secs = now () - t0;
            best_glib = MIN (best_glib, secs);
    #ifdef HAVE_YAJL
            secs = bench_parse_yajl (input->str, input->len);
            best_yajl = MIN (best_yajl, secs);
    #endif
    #ifdef HAVE_JSON_C
            secs = bench_parse_json_c (input->str, input->len);
            best_json_c = MIN (best_json_c, secs);
    #endif
            secs = parse_sluice (input, round == 0 ? values : NULL, count);
            best_sluice = MIN (best_sluice, secs);
          }
        glib_parse_rate = count / best_glib;
        report ("json-glib (JsonParser per line)", count, input->len, best_glib, 0);
    #ifdef HAVE_YAJL
        report ("yajl 2 (yajl_tree_parse)", count, input->len, best_yajl, glib_parse_rate);
    #endif
    #ifdef HAVE_JSON_C
        report ("json-c (json_tokener)", count, input->len, best_json_c, glib_parse_rate);
    #endif
        report ("sluice (SluiceJsonReader, 64K chunks)", count, input->len, best_sluice,
                glib_parse_rate);
        (void) best_yajl;
        (void) best_json_c;
      }

      printf ("\nserialize (values to JSON text, %u entities x 10):\n", values->len);
      {
        g_autoptr (JsonParser) parser = json_parser_new ();
        g_autoptr (JsonGenerator) gen = json_generator_new ();
        size_t bytes = 0;

        for (guint i = 0; i < values->len; i++)
          {
            g_autofree char *text = sluice_value_to_json (values->pdata[i]);

            if (!json_parser_load_from_data (parser, text, -1, &error))
              g_error ("%s", error->message);
            g_ptr_array_add (nodes, json_node_copy (json_parser_get_root (parser)));
          }
        t0 = now ();
        for (int r = 0; r < 10; r++)
          for (guint i = 0; i < nodes->len; i++)
            {
              gsize len;
              g_autofree char *text = NULL;

              json_generator_set_root (gen, nodes->pdata[i]);
              text = json_generator_to_data (gen, &len);
              bytes += len;
            }
        glib_ser_rate = 10.0 * nodes->len / (now () - t0);
        report ("json-glib (JsonGenerator)", 10 * nodes->len, bytes,
                10.0 * nodes->len / glib_ser_rate, 0);

        bytes = 0;
        t0 = now ();
        {
          GString *out = g_string_sized_new (1024);

          for (int r = 0; r < 10; r++)
            for (guint i = 0; i < values->len; i++)
              {
                g_string_truncate (out, 0);
                sluice_json_write_value (out, values->pdata[i]);
                bytes += out->len;
              }
          g_string_free (out, TRUE);
        }
        report ("sluice (sluice_json_write_value)", 10 * values->len, bytes, now () - t0,
                glib_ser_rate);
      }
    }

  printf ("\nbinary form and content hash (%u entities x 10, not compared with json-glib):\n",
          values->len);
  {
    g_autoptr (GPtrArray) encoded = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
    size_t bytes = 0;
    uint8_t hash[SLUICE_HASH_SIZE];

    t0 = now ();
    for (int r = 0; r < 10; r++)
      for (guint i = 0; i < values->len; i++)
        {
          GBytes *b = sluice_binary_encode (values->pdata[i]);

          bytes += g_bytes_get_size (b);
          if (r == 0)
            g_ptr_array_add (encoded, b);
          else
            g_bytes_unref (b);
        }
    report ("binary encode", 10 * values->len, bytes, now () - t0, 0);
    printf ("  %-38s %10.1f bytes per entity\n", "binary size", bytes / 10.0 / values->len);
    t0 = now ();
    for (int r = 0; r < 10; r++)
      for (guint i = 0; i < encoded->len; i++)
        {
          gsize len;
          const void *data = g_bytes_get_data (encoded->pdata[i], &len);
          SluiceValue *v = sluice_binary_decode (data, len, &error);

          if (v == NULL)
            g_error ("%s", error->message);
          sluice_value_unref (v);
        }
    report ("binary decode", 10 * values->len, bytes, now () - t0, 0);
    t0 = now ();
    for (int r = 0; r < 10; r++)
      for (guint i = 0; i < values->len; i++)
        sluice_hash_entity_body (values->pdata[i], hash);
    report ("content hash (canonical form + XXH3-128)", 10 * values->len, 0, now () - t0, 0);
  }
  return 0;
}
