/* test-json.c — the data-plane JSON codec (plugin-sdk/sluice-json-reader.c, sluice-json-writer.c):
 * round trips, transit values, edge cases, streaming in arbitrary chunks, and the exact error
 * messages a user sees for invalid input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-error.h"
#include "sluice-json.h"

/* Parses @in as one value and checks that it is written back as @out. */
static void
assert_round_trip (const char *in, const char *out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) value = sluice_value_from_json (in, -1, &error);
  g_autofree char *text = NULL;
  g_autoptr (SluiceValue) again = NULL;

  if (value == NULL)
    fail_msg ("%s: %s", in, error->message);
  text = sluice_value_to_json (value);
  assert_string_equal (text, out);
  again = sluice_value_from_json (text, -1, &error);
  assert_non_null (again);
  assert_true (sluice_value_equal (value, again));
}

static void
assert_parse_error (const char *in, gssize len, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) value = sluice_value_from_json (in, len, &error);

  assert_null (value);
  assert_non_null (error);
  assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_PARSE));
  assert_string_equal (error->message, message);
}

static SluiceValue *
parse (const char *in)
{
  g_autoptr (GError) error = NULL;
  SluiceValue *value = sluice_value_from_json (in, -1, &error);

  if (value == NULL)
    fail_msg ("%s: %s", in, error->message);
  return value;
}

static void
test_round_trip_scalars (void **state)
{
  assert_round_trip ("null", "null");
  assert_round_trip (" true ", "true");
  assert_round_trip ("false", "false");
  assert_round_trip ("0", "0");
  assert_round_trip ("-0", "0");
  assert_round_trip ("42", "42");
  assert_round_trip ("9223372036854775807", "9223372036854775807");
  assert_round_trip ("-9223372036854775808", "-9223372036854775808");
  assert_round_trip ("1.0", "1.0");
  assert_round_trip ("-0.0", "-0.0");
  assert_round_trip ("0.1", "0.1");
  assert_round_trip ("1.5e3", "1500.0");
  assert_round_trip ("1E-7", "1e-07");
  assert_round_trip ("12.345", "12.345");
  assert_round_trip ("1.7976931348623157e308", "1.7976931348623157e+308");
  assert_round_trip ("5e-324", "4.94065645841247e-324");
  assert_round_trip ("\"\"", "\"\"");
  assert_round_trip ("\"plain\"", "\"plain\"");
}

static void
test_big_integers_stay_exact (void **state)
{
  g_autoptr (SluiceValue) big = parse ("123456789012345678901234567890");
  g_autoptr (SluiceValue) neg = parse ("-9223372036854775809");

  assert_int_equal (sluice_value_get_kind (big), SLUICE_VALUE_DECIMAL);
  assert_string_equal (sluice_value_get_string (big, NULL), "123456789012345678901234567890");
  assert_int_equal (sluice_value_get_kind (neg), SLUICE_VALUE_DECIMAL);
  /* Written back as a bare JSON number, exactly. */
  assert_round_trip ("[123456789012345678901234567890,-9223372036854775809]",
                     "[123456789012345678901234567890,-9223372036854775809]");
  assert_round_trip ("9223372036854775808", "9223372036854775808");
}

static void
test_strings_and_escapes (void **state)
{
  g_autoptr (SluiceValue) nul = parse ("\"a\\u0000b\"");
  g_autoptr (SluiceValue) pair = parse ("\"\\ud83d\\ude00\"");
  size_t len;

  assert_memory_equal (sluice_value_get_string (nul, &len), "a\0b", 3);
  assert_int_equal (len, 3);
  assert_string_equal (sluice_value_get_string (pair, NULL), "\xf0\x9f\x98\x80");

  assert_round_trip ("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\\"\\\\/\\b\\f\\n\\r\\t\"");
  assert_round_trip ("\"\\u0001\\u001f\\u007f\"", "\"\\u0001\\u001f\x7f\"");
  assert_round_trip ("\"\\u00e6\\u00F8\\u00e5 \xc3\xa6\"", "\"\xc3\xa6\xc3\xb8\xc3\xa5 \xc3\xa6\"");
  assert_round_trip ("\"\\uD834\\uDD1E\"", "\"\xf0\x9d\x84\x9e\"");
  assert_round_trip ("\"a\\u0000b\"", "\"a\\u0000b\"");
}

static void
test_containers (void **state)
{
  assert_round_trip ("[]", "[]");
  assert_round_trip ("{}", "{}");
  assert_round_trip ("[[],{},[{}]]", "[[],{},[{}]]");
  assert_round_trip (" { \"b\" : 1 , \"a\" : [ 1 , 2 ] } ", "{\"b\":1,\"a\":[1,2]}");
  assert_round_trip ("{\"\":\"\",\"k\\u0000\":1}", "{\"\":\"\",\"k\\u0000\":1}");
  /* A repeated key is refused (test_duplicate_keys_refused). */
  assert_parse_error ("{\"a\":1,\"b\":2,\"a\":3}", -1,
                      "byte 13: duplicate key \"a\" in the object starting at byte 0 (first at "
                      "byte 1)");
}

static void
test_deep_nesting (void **state)
{
  g_autoptr (GString) ok = g_string_new (NULL);
  g_autoptr (GString) too_deep = g_string_new (NULL);
  g_autoptr (SluiceValue) value = NULL;
  g_autofree char *text = NULL;

  for (int i = 0; i < 512; i++)
    g_string_append_c (ok, '[');
  for (int i = 0; i < 512; i++)
    g_string_append_c (ok, ']');
  value = parse (ok->str);
  text = sluice_value_to_json (value);
  assert_string_equal (text, ok->str);

  for (int i = 0; i < 513; i++)
    g_string_append (too_deep, "{\"a\":");
  assert_parse_error (too_deep->str, -1, "byte 2560: nesting deeper than 512 levels");
}

static void
test_transit_values (void **state)
{
  g_autoptr (SluiceValue) v = parse ("[\"~t2015-01-02T03:04:05.123456789Z\",\"~t2015-12-31\","
                                     "\"~:mynamespace:123\",\"~rhttp://www.sesam.io/\","
                                     "\"~bAAECAwQF\",\"~u531A379E-31BB-4ce1-8690-158dceb64be6\","
                                     "\"~f12345678901234567890.1234567890\",\"~x-not-typed\",\"~\"]");
  static const SluiceValueKind kinds[] = {
    SLUICE_VALUE_DATETIME, SLUICE_VALUE_DATETIME, SLUICE_VALUE_NI, SLUICE_VALUE_URI,
    SLUICE_VALUE_BYTES, SLUICE_VALUE_UUID, SLUICE_VALUE_DECIMAL, SLUICE_VALUE_STRING,
    SLUICE_VALUE_STRING,
  };
  g_autofree char *text = sluice_value_to_json (v);
  size_t len;

  for (size_t i = 0; i < G_N_ELEMENTS (kinds); i++)
    assert_int_equal (sluice_value_get_kind (sluice_value_list_get (v, i)), kinds[i]);
  assert_int_equal (sluice_value_get_datetime_seconds (sluice_value_list_get (v, 0)), 1420167845);
  assert_int_equal (sluice_value_get_datetime_nanoseconds (sluice_value_list_get (v, 0)), 123456789);
  assert_true (sluice_value_is_date (sluice_value_list_get (v, 1)));
  assert_string_equal (sluice_value_get_string (sluice_value_list_get (v, 2), NULL), "mynamespace:123");
  assert_memory_equal (sluice_value_get_bytes (sluice_value_list_get (v, 4), &len), "\0\1\2\3\4\5", 6);
  assert_int_equal (len, 6);
  /* UUIDs are written in lowercase. */
  assert_string_equal (text,
                       "[\"~t2015-01-02T03:04:05.123456789Z\",\"~t2015-12-31\",\"~:mynamespace:123\","
                       "\"~rhttp://www.sesam.io/\",\"~bAAECAwQF\","
                       "\"~u531a379e-31bb-4ce1-8690-158dceb64be6\","
                       "\"~f12345678901234567890.1234567890\",\"~x-not-typed\",\"~\"]");

  assert_round_trip ("\"~t1973-01-22T23:11:54Z\"", "\"~t1973-01-22T23:11:54Z\"");
  assert_round_trip ("\"~t0001-01-01T00:00:00Z\"", "\"~t0001-01-01T00:00:00Z\"");
  assert_round_trip ("\"~t9999-12-31T23:59:59.999999999Z\"", "\"~t9999-12-31T23:59:59.999999999Z\"");
  /* Fractions print with the fewest digits that keep the value. */
  assert_round_trip ("\"~t2015-01-02T03:04:05.120Z\"", "\"~t2015-01-02T03:04:05.12Z\"");
  assert_round_trip ("\"~t1969-12-31T23:59:59.5Z\"", "\"~t1969-12-31T23:59:59.5Z\"");
  assert_round_trip ("\"~t2000-02-29\"", "\"~t2000-02-29\"");
  assert_round_trip ("\"~b\"", "\"~b\"");
  assert_round_trip ("\"~bAA\"", "\"~bAA==\"");
  assert_round_trip ("\"~:\"", "\"~:\"");
}

static void
test_malformed_transit_stays_string (void **state)
{
  static const char *const inputs[] = {
    "\"~tnot-a-date\"", "\"~t2015-02-29\"", "\"~t2015-01-02T03:04:05\"", "\"~t2015-01-02T24:00:00Z\"",
    "\"~t2015-01-02T03:04:05.1234567890Z\"", "\"~t0000-12-31\"", "\"~bA\"", "\"~b!!!!\"",
    "\"~u1234\"", "\"~u531a379e_31bb-4ce1-8690-158dceb64be6\"", "\"~f1.2.3\"", "\"~f\"",
  };

  for (size_t i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (SluiceValue) v = parse (inputs[i]);

      assert_int_equal (sluice_value_get_kind (v), SLUICE_VALUE_STRING);
      assert_round_trip (inputs[i], inputs[i]);
    }
}

static void
test_reader_flags (void **state)
{
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (SLUICE_JSON_READER_FLAG_FLOAT_AS_DECIMAL
                                                                | SLUICE_JSON_READER_FLAG_FLOAT_AS_INT);
  g_autoptr (SluiceValue) a = NULL, b = NULL, c = NULL;
  g_autoptr (GError) error = NULL;
  const char *in = "1.50 2.0 3 1e400";

  assert_true (sluice_json_reader_feed (reader, in, strlen (in), &error));
  assert_true (sluice_json_reader_finish (reader, &error));
  a = sluice_json_reader_pop (reader);
  b = sluice_json_reader_pop (reader);
  c = sluice_json_reader_pop (reader);
  assert_int_equal (sluice_value_get_kind (a), SLUICE_VALUE_DECIMAL);
  assert_string_equal (sluice_value_get_string (a, NULL), "1.50");
  assert_int_equal (sluice_value_get_kind (b), SLUICE_VALUE_INTEGER);
  assert_int_equal (sluice_value_get_integer (b), 2);
  assert_int_equal (sluice_value_get_kind (c), SLUICE_VALUE_INTEGER);
  {
    /* As a decimal, a number beyond binary64 is no longer out of range. */
    g_autoptr (SluiceValue) d = sluice_json_reader_pop (reader);

    assert_int_equal (sluice_value_get_kind (d), SLUICE_VALUE_DECIMAL);
  }
  assert_null (sluice_json_reader_pop (reader));
}

/* Feeds @in in pieces of @chunk bytes and returns the JSON of all values popped, one per line. */
static char *
stream (const char *in, size_t len, size_t chunk, GError **error)
{
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (0);
  g_autoptr (GString) out = g_string_new (NULL);
  SluiceValue *v;

  for (size_t off = 0; off < len; off += chunk)
    {
      if (!sluice_json_reader_feed (reader, in + off, MIN (chunk, len - off), error))
        return NULL;
      while ((v = sluice_json_reader_pop (reader)) != NULL)
        {
          sluice_json_write_value (out, v);
          g_string_append_c (out, '\n');
          sluice_value_unref (v);
        }
    }
  if (!sluice_json_reader_finish (reader, error))
    return NULL;
  while ((v = sluice_json_reader_pop (reader)) != NULL)
    {
      sluice_json_write_value (out, v);
      g_string_append_c (out, '\n');
      sluice_value_unref (v);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Decimal fractions read as the float strtod () reads, bit for bit: short ones (up to 15 digits,
 * no exponent) take a fast path of their own, longer ones strtod () itself. */
static void
test_floats_read_as_strtod_reads_them (void **state)
{
  GRand *rand = g_rand_new_with_seed (7);

  for (int i = 0; i < 200000; i++)
    {
      int n_digits = g_rand_int_range (rand, 2, 19), point = g_rand_int_range (rand, 1, n_digits);
      char text[64];
      size_t len = 0;
      g_autoptr (SluiceValue) v = NULL;
      double expected, got;

      if (g_rand_boolean (rand))
        text[len++] = '-';
      for (int d = 0; d < n_digits; d++)
        {
          if (d == point)
            text[len++] = '.';
          /* No leading zero before other digits; zeros elsewhere often. */
          text[len++] = (char) ('0' + (d == 0 && point > 1 ? g_rand_int_range (rand, 1, 10)
                                                           : g_rand_int_range (rand, 0, 10)));
        }
      text[len] = '\0';
      v = parse (text);
      expected = g_ascii_strtod (text, NULL);
      assert_int_equal (sluice_value_get_kind (v), SLUICE_VALUE_FLOAT);
      got = sluice_value_get_float (v);
      if (memcmp (&got, &expected, sizeof got) != 0)
        fail_msg ("%s: read as %.17g, strtod gives %.17g", text, got, expected);
    }
  g_rand_free (rand);
}

static void
test_stream_any_chunking (void **state)
{
  const char *in = " [ {\"_id\":\"a\",\"s\":\"\\u00e6\\ud83d\\ude00 \xc3\xa6\\n\",\"n\":-12.5e-1},"
                   "{\"_id\":\"b\",\"l\":[true,false,null,123456789012345678901],\"t\":\"~t2015-12-31\"},"
                   "42, \"x\" ] ";
  const char *expected = "{\"_id\":\"a\",\"s\":\"\xc3\xa6\xf0\x9f\x98\x80 \xc3\xa6\\n\",\"n\":-1.25}\n"
                         "{\"_id\":\"b\",\"l\":[true,false,null,123456789012345678901],"
                         "\"t\":\"~t2015-12-31\"}\n42\n\"x\"\n";

  for (size_t chunk = 1; chunk <= strlen (in); chunk++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = stream (in, strlen (in), chunk, &error);

      if (out == NULL)
        fail_msg ("chunk %zu: %s", chunk, error->message);
      assert_string_equal (out, expected);
    }
}

static void
test_stream_json_lines (void **state)
{
  const char *in = "{\"a\":1}\n{\"a\":2}\n3\n\"s\"\n[1,2]\n[]\ntrue\n12";
  g_autoptr (GError) error = NULL;
  g_autofree char *out = stream (in, strlen (in), 1, &error);

  /* A top-level array hands out its elements; other top-level values come as they are. */
  assert_string_equal (out, "{\"a\":1}\n{\"a\":2}\n3\n\"s\"\n1\n2\ntrue\n12\n");
}

/* Every entity a stream hands out equals the same text parsed as a single value (built node by
 * node), with the same JSON text, so the same keys in the same order: repeated keys (the last
 * value in the place of the first), wide dicts (with their sorted index), transit values, numbers
 * of every kind, escapes and non-ASCII text, at any depth. */
static void
test_stream_entities_equal_single_values (void **state)
{
  static const char *const entities[] = {
    "{\"a\":1,\"b\":2,\"c\":3}",
    "{\"a\":1,\"b\":{\"x\":1,\"y\":2,\"z\":[2,{\"z\":0}]},\"e\":{\"k\":\"v\"},\"c\":[{\"d\":1,\"f\":2}]}",
    "{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,"
    "\"k10\":10,\"k11\":11,\"k12\":12,\"k13\":13,\"k14\":14,\"k15\":15,\"k16\":16,\"k3b\":\"again\","
    "\"k17\":{\"a\":[1,2,3]}}",
    "{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,"
    "\"k10\":10,\"k11\":11,\"k12\":12,\"k13\":13,\"k14\":14,\"k15\":15,\"k16\":16}",
    "{\"t\":\"~t2026-03-04T12:00:00.120Z\",\"d\":\"~t2026-03-04\",\"f\":\"~f12.50\",\"n\":\"~:crm:1\","
    "\"r\":\"~rhttp://x/\",\"b\":\"~bAAECAwQF\",\"u\":\"~u531A379E-31bb-4ce1-8690-158dceb64be6\","
    "\"bad\":\"~tnot-a-date\",\"tilde\":\"~\",\"x\":\"~x\"}",
    "{\"i\":[0,255,256,-1,-9223372036854775808,9223372036854775807,9223372036854775808,"
    "-123456789012345678901234567890],\"f\":[0.5,-0.0,1e3,1E-3,2.50,1e-400,59.049]}",
    "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0000\\u00e6\\ud83d\\ude00\",\"\\u00e6\\n\":\"\xc3\xa6\","
    "\"long\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"\":\"\"}",
    "{\"e\":{},\"l\":[],\"ll\":[[],[[]],[{}]],\"n\":null,\"t\":true,\"f\":false}",
    "[1,\"two\",{\"three\":3},[4],null]",
  };

  for (size_t i = 0; i < G_N_ELEMENTS (entities); i++)
    {
      g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (0);
      g_autoptr (GError) error = NULL;
      g_autoptr (SluiceValue) streamed = NULL;
      g_autoptr (SluiceValue) single = parse (entities[i]);
      g_autofree char *a = NULL, *b = NULL;

      /* A line, so that a top-level array is one value here too. */
      assert_true (sluice_json_reader_feed (reader, "[", 1, &error));
      assert_true (sluice_json_reader_feed (reader, entities[i], strlen (entities[i]), &error));
      assert_true (sluice_json_reader_feed (reader, "]", 1, &error));
      assert_true (sluice_json_reader_finish (reader, &error));
      streamed = sluice_json_reader_pop (reader);
      assert_non_null (streamed);
      assert_null (sluice_json_reader_pop (reader));
      a = sluice_value_to_json (streamed);
      b = sluice_value_to_json (single);
      assert_string_equal (a, b);
      assert_true (sluice_value_equal (streamed, single));
      assert_int_equal (sluice_value_compare (streamed, single), 0);
    }
}

/* What the entities with repeated keys, wide dicts and typed values become, word for word. */
static void
test_stream_entity_texts (void **state)
{
  const char *in =
    "{\"a\":1,\"b\":{\"x\":1,\"y\":2,\"w\":[2,{\"z\":0}]},\"c\":{\"k\":\"v\"}}\n"
    "{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,"
    "\"k10\":10,\"k11\":11,\"k12\":12,\"k13\":13,\"k14\":14,\"k15\":15,\"k16\":16,\"k17\":\"again\"}\n"
    "{\"t\":\"~t2026-03-04T12:00:00.120Z\",\"f\":\"~f12.50\",\"u\":\"~u531A379E-31bb-4ce1-8690-"
    "158dceb64be6\",\"big\":123456789012345678901234567890,\"g\":2.50,\"bad\":\"~tnot-a-date\"}\n";
  const char *expected =
    "{\"a\":1,\"b\":{\"x\":1,\"y\":2,\"w\":[2,{\"z\":0}]},\"c\":{\"k\":\"v\"}}\n"
    "{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,"
    "\"k9\":9,\"k10\":10,\"k11\":11,\"k12\":12,\"k13\":13,\"k14\":14,\"k15\":15,\"k16\":16,"
    "\"k17\":\"again\"}\n"
    "{\"t\":\"~t2026-03-04T12:00:00.12Z\",\"f\":\"~f12.50\",\"u\":\"~u531a379e-31bb-4ce1-8690-"
    "158dceb64be6\",\"big\":123456789012345678901234567890,\"g\":2.5,\"bad\":\"~tnot-a-date\"}\n";

  for (size_t chunk = 1; chunk <= strlen (in); chunk += 7)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *out = stream (in, strlen (in), chunk, &error);

      if (out == NULL)
        fail_msg ("chunk %zu: %s", chunk, error->message);
      assert_string_equal (out, expected);
    }
  {
    g_autoptr (SluiceValue) wide = NULL;
    g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (0);

    assert_true (sluice_json_reader_feed (reader, in, strlen (in), NULL));
    sluice_value_unref (sluice_json_reader_pop (reader));
    wide = sluice_json_reader_pop (reader);
    assert_int_equal (sluice_value_dict_get_size (wide), 18);
    assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup (wide, "k17"), NULL),
                         "again");
    assert_int_equal (sluice_value_get_integer (sluice_value_dict_lookup (wide, "k16")), 16);
    assert_null (sluice_value_dict_lookup (wide, "k18"));
  }
}

/* The reader's flags apply inside streamed entities too. */
static void
test_stream_entities_with_flags (void **state)
{
  const char *in = "[{\"a\":2.0,\"b\":1.5,\"c\":1e2,\"d\":300,\"e\":[2.50]}]";
  const struct
  {
    uint32_t flags;
    const char *expected;
  } cases[] = {
    { 0, "{\"a\":2.0,\"b\":1.5,\"c\":100.0,\"d\":300,\"e\":[2.5]}" },
    { SLUICE_JSON_READER_FLAG_FLOAT_AS_INT, "{\"a\":2,\"b\":1.5,\"c\":100,\"d\":300,\"e\":[2.5]}" },
    { SLUICE_JSON_READER_FLAG_FLOAT_AS_DECIMAL,
      "{\"a\":\"~f2.0\",\"b\":\"~f1.5\",\"c\":\"~f1e2\",\"d\":300,\"e\":[\"~f2.50\"]}" },
    { SLUICE_JSON_READER_FLAG_FLOAT_AS_DECIMAL | SLUICE_JSON_READER_FLAG_FLOAT_AS_INT,
      "{\"a\":2,\"b\":\"~f1.5\",\"c\":100,\"d\":300,\"e\":[\"~f2.50\"]}" },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (cases[i].flags);
      g_autoptr (SluiceValue) v = NULL;
      g_autofree char *text = NULL;

      assert_true (sluice_json_reader_feed (reader, in, strlen (in), NULL));
      assert_true (sluice_json_reader_finish (reader, NULL));
      v = sluice_json_reader_pop (reader);
      text = sluice_value_to_json (v);
      assert_string_equal (text, cases[i].expected);
    }
}

/* A token longer than the chunks that carry it (a 200,000-byte string, in chunks of 64 KiB and of
 * odd sizes) is read whole, and a later error still names its absolute byte offset. */
static void
test_stream_long_token_across_chunks (void **state)
{
  const size_t n = 200000;
  g_autoptr (GString) in = g_string_new ("[{\"_id\":\"a\",\"s\":\"");
  size_t chunks[] = { 65536, 1000, 63, 200017 };

  for (size_t i = 0; i < n; i++)
    g_string_append_c (in, (char) ('a' + i % 26));
  g_string_append (in, "\"},{\"n\":12345678}x]");
  for (size_t c = 0; c < G_N_ELEMENTS (chunks); c++)
    {
      g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (0);
      g_autoptr (GError) error = NULL;
      g_autoptr (SluiceValue) first = NULL, second = NULL;
      gboolean ok = TRUE;
      size_t len;

      for (size_t off = 0; ok && off < in->len; off += chunks[c])
        ok = sluice_json_reader_feed (reader, in->str + off, MIN (chunks[c], in->len - off), &error);
      assert_false (ok);
      g_assert_error (error, SLUICE_ERROR, SLUICE_ERROR_PARSE);
      assert_string_equal (error->message,
                           "byte 200034: expected ',' or ']' after array element, got 'x'");
      first = sluice_json_reader_pop (reader);
      second = sluice_json_reader_pop (reader);
      assert_non_null (first);
      assert_non_null (second);
      assert_memory_equal (sluice_value_get_string (sluice_value_dict_lookup (first, "s"), &len),
                           in->str + 17, n);
      assert_int_equal (len, n);
      assert_int_equal (sluice_value_get_integer (sluice_value_dict_lookup (second, "n")), 12345678);
    }
}

/* With FLOAT_AS_DECIMAL no float is out of range, but an exponent beyond what a decimal holds is
 * an error, with its offset (it was a crash). */
static void
test_decimal_exponent_out_of_range (void **state)
{
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (SLUICE_JSON_READER_FLAG_FLOAT_AS_DECIMAL);
  g_autoptr (GError) error = NULL;
  const char *in = "[{\"a\":1e999999999},{\"a\":92e3372036854775808}]";
  g_autoptr (SluiceValue) first = NULL;
  g_autofree char *text = NULL;

  assert_false (sluice_json_reader_feed (reader, in, strlen (in), &error));
  g_assert_error (error, SLUICE_ERROR, SLUICE_ERROR_PARSE);
  assert_string_equal (error->message,
                       "byte 24: number out of range: 92e3372036854775808 has an exponent larger "
                       "than a decimal holds (about a billion)");
  first = sluice_json_reader_pop (reader);
  text = sluice_value_to_json (first);
  assert_string_equal (text, "{\"a\":\"~f1e999999999\"}");
}

/* ---- numbers with an exponent stay exact (issue 21, item 9) -------------------------------- */

/* The exact value of the JSON number or integer @text as "0" or "[-]DIGITSeEXP" with no leading or
 * trailing zero in DIGITS: two texts of the same value give the same form.  Independent of the
 * SDK's own decimal code.  *@ret_integral: whether the value is a whole number, and *@ret_int64
 * whether that number fits in an int64 (it is then in @ret_value). */
static char *
canonical_number (const char *text, gboolean *ret_integral, gboolean *ret_int64,
                  int64_t *ret_value)
{
  g_autoptr (GString) digits = g_string_new (NULL);
  gboolean negative = text[0] == '-';
  const char *p = text + negative;
  int64_t exponent = 0, frac = 0;
  size_t lead = 0;

  for (; g_ascii_isdigit (*p); p++)
    g_string_append_c (digits, *p);
  if (*p == '.')
    for (p++; g_ascii_isdigit (*p); p++, frac++)
      g_string_append_c (digits, *p);
  if (*p == 'e' || *p == 'E')
    exponent = g_ascii_strtoll (p + 1, NULL, 10);
  exponent -= frac;
  while (lead < digits->len && digits->str[lead] == '0')
    lead++;
  g_string_erase (digits, 0, (gssize) lead);
  while (digits->len > 0 && digits->str[digits->len - 1] == '0')
    {
      g_string_truncate (digits, digits->len - 1);
      exponent++;
    }
  *ret_int64 = FALSE;
  if (digits->len == 0)
    {
      *ret_integral = *ret_int64 = TRUE;
      *ret_value = 0;
      return g_strdup ("0");
    }
  *ret_integral = exponent >= 0;
  if (*ret_integral && digits->len + (size_t) exponent <= 19)
    {
      g_autoptr (GString) whole = g_string_new (negative ? "-" : "");
      const char *limit = negative ? "-9223372036854775808" : "9223372036854775807";

      g_string_append (whole, digits->str);
      for (int64_t i = 0; i < exponent; i++)
        g_string_append_c (whole, '0');
      if (whole->len < strlen (limit) || strcmp (whole->str, limit) <= 0)
        {
          *ret_int64 = TRUE;
          *ret_value = g_ascii_strtoll (whole->str, NULL, 10);
        }
    }
  return g_strdup_printf ("%s%se%" G_GINT64_FORMAT, negative ? "-" : "", digits->str, exponent);
}

/* A random JSON number with an exponent: up to 20 digits before and after the point, the
 * exponent mostly small, sometimes beyond what a binary64 holds, often making it whole. */
static char *
random_exponent_number (GRand *rand)
{
  GString *text = g_string_new (g_rand_int_range (rand, 0, 5) == 0 ? "-" : "");
  int n_int = g_rand_int_range (rand, 1, 21), n_frac = g_rand_int_range (rand, -10, 21);
  int64_t exponent;

  for (int i = 0; i < n_int; i++)
    g_string_append_c (text, (char) ('0' + (i == 0 ? (n_int > 1 ? g_rand_int_range (rand, 1, 10)
                                                                 : g_rand_int_range (rand, 0, 10))
                                                   : g_rand_int_range (rand, 0, 10))));
  if (n_frac > 0)
    {
      g_string_append_c (text, '.');
      for (int i = 0; i < n_frac; i++)
        g_string_append_c (text, (char) ('0' + g_rand_int_range (rand, 0, 10)));
    }
  switch (g_rand_int_range (rand, 0, 4))
    {
    case 0:
      exponent = MAX (n_frac, 0) + g_rand_int_range (rand, 0, 4); /* whole */
      break;
    case 1:
      exponent = g_rand_int_range (rand, 300, 450) * (g_rand_boolean (rand) ? 1 : -1);
      break;
    default:
      exponent = g_rand_int_range (rand, -30, 31);
      break;
    }
  g_string_append_printf (text, "%s%s%" G_GINT64_FORMAT, g_rand_boolean (rand) ? "e" : "E",
                          exponent >= 0 && g_rand_boolean (rand) ? "+" : "", exponent);
  return g_string_free (text, FALSE);
}

/* The canonical form of what @v holds: an integer, or a decimal's text. */
static char *
canonical_value (const SluiceValue *v)
{
  gboolean integral, int64;
  int64_t ignored;

  if (sluice_value_get_kind (v) == SLUICE_VALUE_INTEGER)
    {
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, sluice_value_get_integer (v));

      return canonical_number (text, &integral, &int64, &ignored);
    }
  assert_int_equal (sluice_value_get_kind (v), SLUICE_VALUE_DECIMAL);
  return canonical_number (sluice_value_get_string (v, NULL), &integral, &int64, &ignored);
}

static SluiceValue *
read_one (uint32_t flags, const char *text, GError **error)
{
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (flags);
  g_autofree char *in = g_strdup_printf ("[{\"n\":%s}]", text);
  g_autoptr (SluiceValue) entity = NULL;

  if (!sluice_json_reader_feed (reader, in, strlen (in), error)
      || !sluice_json_reader_finish (reader, error))
    return NULL;
  entity = sluice_json_reader_pop (reader);
  assert_non_null (entity);
  return sluice_value_ref (sluice_value_dict_lookup (entity, "n"));
}

/* A receiver's numbers (FLOAT_AS_DECIMAL, with and without FLOAT_AS_INT) keep their exact value
 * whatever the exponent: a whole number that fits becomes that integer, anything else the decimal
 * as sent.  Floats (no FLOAT_AS_DECIMAL) round as strtod does, but a number that is not zero never
 * becomes zero, and FLOAT_AS_INT takes only numbers that are whole, not their rounded doubles. */
static void
test_exponent_numbers_stay_exact (void **state)
{
  const uint32_t decimal = SLUICE_JSON_READER_FLAG_FLOAT_AS_DECIMAL;
  const uint32_t as_int = SLUICE_JSON_READER_FLAG_FLOAT_AS_INT;
  GRand *rand = g_rand_new_with_seed (21);
  struct
  {
    uint32_t flags;
    const char *in, *out;
  } cases[] = {
    { decimal | as_int, "4503599627370496.5e0", "\"~f4503599627370496.5e0\"" },
    { decimal | as_int, "1e-400", "\"~f1e-400\"" },
    { decimal | as_int, "1e400", "\"~f1e400\"" },
    { decimal | as_int, "-1E+3", "-1000" },
    { decimal | as_int, "12345678901234567e1", "123456789012345670" },
    { decimal | as_int, "-9.223372036854775808e18", "-9223372036854775808" },
    { decimal | as_int, "9.223372036854775808e18", "\"~f9.223372036854775808e18\"" },
    { decimal | as_int, "0.000e-5", "0" },
    { decimal, "1e3", "\"~f1e3\"" },
    { as_int, "4503599627370496.5e0", "4503599627370496.0" },
    { as_int, "12345678901234567e1", "123456789012345670" },
    { as_int, "1.5e1", "15" },
    { 0, "1e-400", "\"~f1e-400\"" },
    { 0, "-2.5e-330", "\"~f-2.5e-330\"" },
    { 0, "0e-400", "0.0" },
    { 0, "5e-324", "4.94065645841247e-324" },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SluiceValue) v = read_one (cases[i].flags, cases[i].in, &error);
      g_autofree char *text = NULL;

      if (v == NULL)
        fail_msg ("%s (flags %u): %s", cases[i].in, cases[i].flags, error->message);
      text = sluice_value_to_json (v);
      if (!g_str_equal (text, cases[i].out))
        fail_msg ("%s (flags %u): read as %s, expected %s", cases[i].in, cases[i].flags, text,
                  cases[i].out);
    }

  for (int i = 0; i < 200; i++)
    {
      g_autofree char *text = random_exponent_number (rand);
      gboolean integral, int64;
      int64_t value = 0;
      g_autofree char *expected = canonical_number (text, &integral, &int64, &value);
      const uint32_t flags[] = { decimal | as_int, decimal };

      for (size_t k = 0; k < G_N_ELEMENTS (flags); k++)
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (SluiceValue) v = read_one (flags[k], text, &error);
          g_autofree char *got = NULL;
          SluiceValueKind kind = (flags[k] & as_int) && int64 ? SLUICE_VALUE_INTEGER
                                                               : SLUICE_VALUE_DECIMAL;

          if (v == NULL)
            fail_msg ("%s (flags %u): %s", text, flags[k], error->message);
          if (sluice_value_get_kind (v) != kind)
            fail_msg ("%s (flags %u): read as a %s, expected a %s", text, flags[k],
                      sluice_value_kind_get_name (sluice_value_get_kind (v)),
                      sluice_value_kind_get_name (kind));
          got = canonical_value (v);
          if (!g_str_equal (got, expected))
            fail_msg ("%s (flags %u): read as %s, expected %s", text, flags[k], got, expected);
          if (kind == SLUICE_VALUE_INTEGER)
            assert_int_equal (sluice_value_get_integer (v), value);
        }
    }
  g_rand_free (rand);
}

/* ---- duplicate keys and values after the value (issue 21, item 14) ------------------------- */

static void
assert_stream_error (uint32_t flags, const char *in, const char *message)
{
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (flags);
  g_autoptr (GError) error = NULL;

  if (sluice_json_reader_feed (reader, in, strlen (in), &error)
      && sluice_json_reader_finish (reader, &error))
    fail_msg ("%s: accepted, expected \"%s\"", in, message);
  assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_PARSE));
  assert_string_equal (error->message, message);
  /* Fed one byte at a time, the error is the same. */
  {
    g_autoptr (SluiceJsonReader) slow = sluice_json_reader_new (flags);
    g_autoptr (GError) slow_error = NULL;
    gboolean ok = TRUE;

    for (size_t i = 0; ok && in[i] != '\0'; i++)
      ok = sluice_json_reader_feed (slow, in + i, 1, &slow_error);
    if (ok)
      ok = sluice_json_reader_finish (slow, &slow_error);
    assert_false (ok);
    assert_string_equal (slow_error->message, message);
  }
}

/* An object that names a key twice is refused, at any depth, in small and large objects, whether
 * streamed or read as one value, with the offset of the second key: JSON leaves its meaning open,
 * and the configuration refuses it too. */
static void
test_duplicate_keys_refused (void **state)
{
  g_autoptr (GString) large = g_string_new ("{");
  g_autofree char *large_message = NULL;
  g_autoptr (GError) error = NULL;
  size_t at;

  assert_stream_error (0, "[{\"a\":1,\"b\":2,\"a\":3}]",
                       "byte 14: duplicate key \"a\" in the object starting at byte 1 (first at "
                       "byte 2)");
  assert_stream_error (0, "[{\"_id\":\"x\",\"b\":{\"x\":1,\"y\":{\"x\":0},\"x\":[2]}}]",
                       "byte 35: duplicate key \"x\" in the object starting at byte 16 (first at "
                       "byte 17)");
  assert_stream_error (0, "[{\"l\":[{\"d\":1,\"d\":2}]}]",
                       "byte 14: duplicate key \"d\" in the object starting at byte 7 (first at "
                       "byte 8)");
  /* Escapes are decoded before keys are compared. */
  assert_stream_error (0, "{\"\\u00e6\":1,\"\xc3\xa6\":2}\n",
                       "byte 12: duplicate key \"\xc3\xa6\" in the object starting at byte 0 "
                       "(first at byte 1)");
  for (int k = 0; k < 40; k++)
    g_string_append_printf (large, "%s\"k%d\":%d", k > 0 ? "," : "", k, k);
  at = large->len + 1;
  g_string_append (large, ",\"k17\":\"again\"}");
  large_message = g_strdup_printf ("byte %zu: duplicate key \"k17\" in the object starting at byte "
                                   "0 (first at byte %zu)",
                                   at, (size_t) (strstr (large->str, "\"k17\"") - large->str));
  assert_stream_error (0, large->str, large_message);
  assert_null (sluice_value_from_json (large->str, -1, &error));
  assert_string_equal (error->message, large_message);
  g_clear_error (&error);
  /* So many keys that their filter fills up and they are sorted instead: the earliest repeat is
   * still the one named, and an object without any is read whole. */
  {
    g_autoptr (GString) huge = g_string_new ("[{");
    g_autoptr (GString) unique = NULL;
    g_autofree char *message = NULL;
    g_autoptr (SluiceValue) whole = NULL;
    size_t first, second;

    for (int k = 0; k < 3000; k++)
      g_string_append_printf (huge, "%s\"key-%d\":%d", k > 0 ? "," : "", k * 7919 % 3000, k);
    unique = g_string_new (huge->str + 1);
    g_string_append_c (unique, '}');
    whole = sluice_value_from_json (unique->str, -1, &error);
    assert_non_null (whole);
    assert_int_equal (sluice_value_dict_get_size (whole), 3000);
    first = (size_t) (strstr (huge->str, "\"key-2999\"") - huge->str);
    second = huge->len + 1;
    g_string_append (huge, ",\"key-2999\":0,\"key-5\":1}]");
    message = g_strdup_printf ("byte %zu: duplicate key \"key-2999\" in the object starting at "
                               "byte 1 (first at byte %zu)", second, first);
    assert_stream_error (0, huge->str, message);
  }
  assert_parse_error ("{\"a\":{\"b\":1,\"b\":1}}", -1,
                      "byte 12: duplicate key \"b\" in the object starting at byte 5 (first at "
                      "byte 6)");
  /* The same key in sibling or nested objects is no duplicate. */
  assert_round_trip ("{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2},\"c\":[{\"a\":3},{\"a\":4}]}",
                     "{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2},\"c\":[{\"a\":3},{\"a\":4}]}");
}

/* With SLUICE_JSON_READER_FLAG_ONE_VALUE the input is one value, a top-level array streamed
 * element by element: a second value after it is refused; without it, values may follow one
 * another. */
static void
test_one_value (void **state)
{
  const uint32_t one = SLUICE_JSON_READER_FLAG_ONE_VALUE;
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (one);
  g_autofree char *lines = NULL;
  g_autoptr (GError) error = NULL;
  const char *in = " [{\"_id\":\"a\"},{\"_id\":\"b\"}] \n";
  g_autoptr (SluiceValue) a = NULL, b = NULL;

  assert_true (sluice_json_reader_feed (reader, in, strlen (in), &error));
  assert_true (sluice_json_reader_finish (reader, &error));
  a = sluice_json_reader_pop (reader);
  b = sluice_json_reader_pop (reader);
  assert_non_null (a);
  assert_non_null (b);
  assert_null (sluice_json_reader_pop (reader));

  assert_stream_error (one, "[{\"_id\":\"c1\"}][{\"_id\":\"c2\"}]",
                       "byte 14: expected end of input after the value, got '['");
  assert_stream_error (one, "{\"_id\":\"c1\"} {\"_id\":\"c2\"}",
                       "byte 13: expected end of input after the value, got '{'");
  assert_stream_error (one, "[1] 2", "byte 4: expected end of input after the value, got '2'");
  in = "[{\"_id\":\"c1\"}][{\"_id\":\"c2\"}]{\"_id\":\"c3\"}";
  lines = stream (in, strlen (in), 5, &error);
  assert_string_equal (lines, "{\"_id\":\"c1\"}\n{\"_id\":\"c2\"}\n{\"_id\":\"c3\"}\n");
}

static void
test_stream_pops_each_element_when_complete (void **state)
{
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (0);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) first = NULL;

  assert_true (sluice_json_reader_feed (reader, "[{\"_id\":\"a\"},{\"_id\":", 20, &error));
  first = sluice_json_reader_pop (reader);
  assert_non_null (first);
  assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup (first, "_id"), NULL), "a");
  assert_null (sluice_json_reader_pop (reader));
  assert_int_equal (sluice_json_reader_get_offset (reader), 20);
}

/* A million entities through the reader, popped as they complete: the reader's own buffer never
 * holds more than one chunk plus one entity. */
static void
test_stream_million_entities (void **state)
{
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (0);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) chunk = g_string_new (NULL);
  guint n = 0, total = 1000000;

  assert_true (sluice_json_reader_feed (reader, "[", 1, &error));
  for (guint i = 0; i < total; i++)
    {
      g_string_append_printf (chunk, "%s{\"_id\":\"person-%u\",\"age\":%u,\"tags\":[\"a\",\"b\"]}",
                              i ? "," : "", i, i % 90);
      if (chunk->len > 60000 || i == total - 1)
        {
          SluiceValue *v;

          assert_true (sluice_json_reader_feed (reader, chunk->str, chunk->len, &error));
          g_string_truncate (chunk, 0);
          while ((v = sluice_json_reader_pop (reader)) != NULL)
            {
              n++;
              sluice_value_unref (v);
            }
        }
    }
  assert_true (sluice_json_reader_feed (reader, "]", 1, &error));
  assert_true (sluice_json_reader_finish (reader, &error));
  assert_int_equal (n, total);
}

static void
test_invalid_inputs (void **state)
{
  assert_parse_error ("", -1, "byte 0: truncated input: expected a value");
  assert_parse_error ("   ", -1, "byte 3: truncated input: expected a value");
  assert_parse_error ("[1,2", -1, "byte 4: truncated input: unterminated array starting at byte 0");
  assert_parse_error ("{\"a\":[1,{\"b\":2}", -1,
                      "byte 15: truncated input: unterminated array starting at byte 5");
  assert_parse_error ("{\"a\":", -1, "byte 5: truncated input: unterminated object starting at byte 0");
  assert_parse_error ("[\"abc", -1, "byte 5: truncated input: unterminated string starting at byte 1");
  assert_parse_error ("tru", -1, "byte 3: truncated input: incomplete literal true starting at byte 0");
  assert_parse_error ("[1 2]", -1, "byte 3: expected ',' or ']' after array element, got '2'");
  assert_parse_error ("[1,]", -1, "byte 3: expected a value, got ']'");
  assert_parse_error ("{\"a\" 1}", -1, "byte 5: expected ':' after object key, got '1'");
  assert_parse_error ("{\"a\":1 \"b\":2}", -1, "byte 7: expected ',' or '}' after object member, got '\"'");
  assert_parse_error ("{1:2}", -1, "byte 1: expected a string key or '}', got '1'");
  assert_parse_error ("{\"a\":1,}", -1, "byte 7: expected a string key after ',', got '}'");
  assert_parse_error ("{\"a\":1}}", -1, "byte 7: expected end of input after the value, got '}'");
  assert_parse_error ("nul", -1, "byte 3: truncated input: incomplete literal null starting at byte 0");
  assert_parse_error ("[trUe]", -1, "byte 3: invalid literal: expected true, got 'U'");
  assert_parse_error ("'a'", -1, "byte 0: expected a value, got '''");
  assert_parse_error ("[\x01]", 3, "byte 1: expected a value, got byte 0x01");
}

static void
test_invalid_numbers (void **state)
{
  assert_parse_error ("1e400", -1,
                      "byte 0: number out of range: 1e400 is beyond the largest binary64 float "
                      "(about 1.8e308)");
  assert_parse_error ("[0, -2e999]", -1,
                      "byte 4: number out of range: -2e999 is beyond the largest binary64 float "
                      "(about 1.8e308)");
  assert_parse_error ("01", -1, "byte 0: invalid number: a leading zero must not be followed by digits");
  assert_parse_error ("[-]", -1, "byte 2: invalid number: expected a digit after '-', got ']'");
  assert_parse_error ("-", -1, "byte 1: invalid number: expected a digit after '-', got end of input");
  assert_parse_error ("1.", -1, "byte 2: invalid number: expected a digit after '.', got end of input");
  assert_parse_error ("[1.e5]", -1, "byte 3: invalid number: expected a digit after '.', got 'e'");
  assert_parse_error ("1e+", -1, "byte 3: invalid number: expected a digit in the exponent, got end of input");
  assert_parse_error ("1.2.3", -1, "byte 3: invalid number: unexpected '.'");
  assert_parse_error ("[1-2]", -1, "byte 2: invalid number: unexpected '-'");
  assert_parse_error ("+1", -1, "byte 0: expected a value, got '+'");
}

static void
test_invalid_strings (void **state)
{
  assert_parse_error ("\"\xc3\x28\"", -1, "byte 1: invalid UTF-8 in string");
  assert_parse_error ("[\"ok\",\"ab\xff\"]", -1, "byte 9: invalid UTF-8 in string");
  /* Overlong encodings and UTF-8-encoded surrogates are not UTF-8 either. */
  assert_parse_error ("\"\xc0\xaf\"", -1, "byte 1: invalid UTF-8 in string");
  assert_parse_error ("\"\xed\xa0\x80\"", -1, "byte 1: invalid UTF-8 in string");
  assert_parse_error ("\"a\nb\"", -1,
                      "byte 2: control character U+000A in string: expected it escaped, as \\u000a");
  assert_parse_error ("\"\\q\"", -1,
                      "byte 1: invalid escape in string: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r "
                      "\\t \\u after the backslash, got 'q'");
  assert_parse_error ("\"\\u12G4\"", -1,
                      "byte 1: invalid \\u escape in string: expected 4 hexadecimal digits");
  assert_parse_error ("\"ab\\u12\"", -1,
                      "byte 3: invalid \\u escape in string: expected 4 hexadecimal digits");
  assert_parse_error ("\"\\ud800\"", -1,
                      "byte 1: invalid \\u escape in string: high surrogate \\ud800 not followed by a "
                      "low surrogate");
  assert_parse_error ("\"\\ud800\\u0041\"", -1,
                      "byte 1: invalid \\u escape in string: high surrogate \\ud800 not followed by a "
                      "low surrogate");
  assert_parse_error ("\"x\\udc00\"", -1,
                      "byte 2: invalid \\u escape in string: low surrogate \\udc00 without a high "
                      "surrogate before it");
}

/* The string scan reads words of eight bytes: put the interesting byte at every position. */
static void
test_special_byte_at_every_position (void **state)
{
  for (int p = 0; p < 24; p++)
    {
      g_autofree char *raw_newline = g_strdup_printf ("\"%.*s\n%.*s\"", p, "aaaaaaaaaaaaaaaaaaaaaaaa",
                                                      23 - p, "bbbbbbbbbbbbbbbbbbbbbbbb");
      g_autofree char *bad_utf8 = g_strdup_printf ("\"%.*s\xff%.*s\"", p, "aaaaaaaaaaaaaaaaaaaaaaaa",
                                                   23 - p, "bbbbbbbbbbbbbbbbbbbbbbbb");
      g_autofree char *escaped = g_strdup_printf ("\"%.*s\\\"\xc3\xa6%.*s\"", p,
                                                  "aaaaaaaaaaaaaaaaaaaaaaaa", 23 - p,
                                                  "bbbbbbbbbbbbbbbbbbbbbbbb");
      g_autofree char *expected_newline = g_strdup_printf (
        "byte %d: control character U+000A in string: expected it escaped, as \\u000a", p + 1);
      g_autofree char *expected_utf8 = g_strdup_printf ("byte %d: invalid UTF-8 in string", p + 1);
      g_autoptr (SluiceValue) v = NULL;
      g_autofree char *want = g_strdup_printf ("%.*s\"\xc3\xa6%.*s", p, "aaaaaaaaaaaaaaaaaaaaaaaa",
                                               23 - p, "bbbbbbbbbbbbbbbbbbbbbbbb");

      assert_parse_error (raw_newline, -1, expected_newline);
      assert_parse_error (bad_utf8, -1, expected_utf8);
      v = parse (escaped);
      assert_string_equal (sluice_value_get_string (v, NULL), want);
    }
}

/* Any single-byte change of valid input parses or fails with an error: never a crash, never both. */
static void
test_mutations_never_crash (void **state)
{
  const char *in = "[{\"_id\":\"a\",\"s\":\"x\\u00e6\\n\xc3\xa6\",\"n\":-1.5e3,\"l\":[true,null,\"~t2015-12-31\"]}]";
  size_t len = strlen (in);
  g_autofree char *copy = g_strdup (in);

  for (size_t i = 0; i < len; i++)
    for (int b = 0; b < 256; b += 3)
      {
        g_autoptr (GError) error = NULL;
        SluiceValue *v;

        copy[i] = (char) b;
        v = sluice_value_from_json (copy, (gssize) len, &error);
        assert_true ((v == NULL) != (error == NULL));
        g_clear_pointer (&v, sluice_value_unref);
        copy[i] = in[i];
      }
}

static void
test_errors_when_streaming (void **state)
{
  const char *in = "[{\"_id\":\"a\"},\n{\"_id\":\"b\" x}]";
  g_autoptr (SluiceJsonReader) reader = NULL;
  g_autoptr (GError) error = NULL;

  /* Offsets count from the start of the stream, whatever the chunking. */
  for (size_t chunk = 1; chunk < 8; chunk++)
    {
      g_autofree char *out = stream (in, strlen (in), chunk, &error);

      assert_null (out);
      assert_string_equal (error->message, "byte 25: expected ',' or '}' after object member, got 'x'");
      g_clear_error (&error);
    }
  g_free (stream ("[1,2", 4, 1, &error));
  assert_string_equal (error->message, "byte 4: truncated input: unterminated array starting at byte 0");
  g_clear_error (&error);

  /* A failed reader stays failed. */
  reader = sluice_json_reader_new (0);
  assert_false (sluice_json_reader_feed (reader, "[}", 2, &error));
  g_clear_error (&error);
  assert_false (sluice_json_reader_feed (reader, "1", 1, &error));
  assert_string_equal (error->message, "byte 1: expected a value, got '}'");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_round_trip_scalars),
    cmocka_unit_test (test_big_integers_stay_exact),
    cmocka_unit_test (test_strings_and_escapes),
    cmocka_unit_test (test_containers),
    cmocka_unit_test (test_deep_nesting),
    cmocka_unit_test (test_transit_values),
    cmocka_unit_test (test_malformed_transit_stays_string),
    cmocka_unit_test (test_reader_flags),
    cmocka_unit_test (test_floats_read_as_strtod_reads_them),
    cmocka_unit_test (test_stream_any_chunking),
    cmocka_unit_test (test_stream_json_lines),
    cmocka_unit_test (test_stream_pops_each_element_when_complete),
    cmocka_unit_test (test_decimal_exponent_out_of_range),
    cmocka_unit_test (test_exponent_numbers_stay_exact),
    cmocka_unit_test (test_duplicate_keys_refused),
    cmocka_unit_test (test_one_value),
    cmocka_unit_test (test_stream_long_token_across_chunks),
    cmocka_unit_test (test_stream_entities_equal_single_values),
    cmocka_unit_test (test_stream_entity_texts),
    cmocka_unit_test (test_stream_entities_with_flags),
    cmocka_unit_test (test_stream_million_entities),
    cmocka_unit_test (test_invalid_inputs),
    cmocka_unit_test (test_invalid_numbers),
    cmocka_unit_test (test_invalid_strings),
    cmocka_unit_test (test_special_byte_at_every_position),
    cmocka_unit_test (test_mutations_never_crash),
    cmocka_unit_test (test_errors_when_streaming),
  };

  return cmocka_run_group_tests_name ("json", tests, NULL, NULL);
}
