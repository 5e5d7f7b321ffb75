/* test-value.c — values (plugin-sdk/sluice-value.c, sluice-value-transit.c): typed constructors and
 * their errors, builders, deep equality and the mixed-type ordering of the entity model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-error.h"
#include "sluice-hash.h"
#include "sluice-json.h"

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
test_scalars (void **state)
{
  g_autoptr (SluiceValue) i = sluice_value_new_integer (-7);
  g_autoptr (SluiceValue) f = sluice_value_new_float (2.5);
  g_autoptr (SluiceValue) s = sluice_value_new_string ("h\0i", 3);
  g_autoptr (SluiceValue) t = sluice_value_new_boolean (TRUE);
  g_autoptr (SluiceValue) n = sluice_value_new_null ();
  size_t len;

  assert_int_equal (sluice_value_get_kind (i), SLUICE_VALUE_INTEGER);
  assert_int_equal (sluice_value_get_integer (i), -7);
  assert_true (sluice_value_get_float (i) == -7.0);
  assert_true (sluice_value_get_float (f) == 2.5);
  assert_memory_equal (sluice_value_get_string (s, &len), "h\0i", 3);
  assert_int_equal (len, 3);
  assert_true (sluice_value_get_boolean (t));
  assert_int_equal (sluice_value_get_kind (n), SLUICE_VALUE_NULL);
  assert_string_equal (sluice_value_kind_get_name (SLUICE_VALUE_UUID), "uuid");
  assert_string_equal (sluice_value_kind_get_name (SLUICE_VALUE_DICT), "dict");
  /* Refcounting: a shared value outlives its first owner. */
  {
    SluiceValue *extra = sluice_value_ref (s);

    sluice_value_unref (extra);
  }
}

static void
test_typed_constructors (void **state)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) dt = sluice_value_new_datetime (1420167845, 123456789, &error);
  g_autoptr (SluiceValue) date = sluice_value_new_date (2015, 12, 31, &error);
  g_autoptr (SluiceValue) dec = sluice_value_new_decimal ("-12.50", &error);
  g_autoptr (SluiceValue) uuid = sluice_value_new_uuid ("531A379E-31bb-4ce1-8690-158dceb64be6", &error);
  g_autoptr (SluiceValue) ni = sluice_value_new_ni ("foo:bar", -1);
  g_autoptr (SluiceValue) uri = sluice_value_new_uri ("http://www.sesam.io/", -1);
  g_autoptr (SluiceValue) bytes = sluice_value_new_bytes ("\xff\0", 2);
  g_autoptr (SluiceValue) list = NULL;
  g_autofree char *text = NULL;
  g_autoptr (SluiceListBuilder) b = sluice_list_builder_new ();

  assert_null (error);
  assert_false (sluice_value_is_date (dt));
  assert_true (sluice_value_is_date (date));
  assert_int_equal (sluice_value_get_datetime_seconds (date), 1451520000);
  assert_string_equal (sluice_value_get_string (dec, NULL), "-12.50");
  assert_true (sluice_value_get_float (dec) == -12.5);
  assert_string_equal (sluice_value_get_string (uuid, NULL), "531a379e-31bb-4ce1-8690-158dceb64be6");

  sluice_list_builder_add (b, dt);
  sluice_list_builder_add (b, date);
  sluice_list_builder_add (b, dec);
  sluice_list_builder_add (b, uuid);
  sluice_list_builder_add (b, ni);
  sluice_list_builder_add (b, uri);
  sluice_list_builder_add (b, bytes);
  list = sluice_list_builder_end (g_steal_pointer (&b));
  text = sluice_value_to_json (list);
  assert_string_equal (text, "[\"~t2015-01-02T03:04:05.123456789Z\",\"~t2015-12-31\",\"~f-12.50\","
                             "\"~u531a379e-31bb-4ce1-8690-158dceb64be6\",\"~:foo:bar\","
                             "\"~rhttp://www.sesam.io/\",\"~b/wA=\"]");
}

static void
test_typed_constructor_errors (void **state)
{
  g_autoptr (GError) error = NULL;

  assert_null (sluice_value_new_decimal ("12,5", &error));
  assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA));
  assert_string_equal (error->message, "invalid decimal \"12,5\": expected digits with an optional "
                                       "sign, fraction and exponent, like -12.50 or 1e-3");
  g_clear_error (&error);
  assert_null (sluice_value_new_uuid ("531a379e", &error));
  assert_string_equal (error->message, "invalid UUID \"531a379e\": expected 36 characters of the form "
                                       "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hexadecimal)");
  g_clear_error (&error);
  assert_null (sluice_value_new_date (2015, 2, 29, &error));
  assert_string_equal (error->message, "invalid date 2015-02-29: expected a calendar date from "
                                       "0001-01-01 to 9999-12-31");
  g_clear_error (&error);
  assert_null (sluice_value_new_datetime (253402300800, 0, &error));
  assert_string_equal (error->message, "datetime 253402300800s 0ns is out of range: expected "
                                       "0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z");
  g_clear_error (&error);
  assert_null (sluice_value_new_datetime (0, 1000000000, &error));
  assert_non_null (error);
}

static void
test_dict_builder (void **state)
{
  g_autoptr (SluiceDictBuilder) b = sluice_dict_builder_new ();
  g_autoptr (SluiceValue) dict = NULL;
  g_autoptr (SluiceValue) big = NULL;
  g_autofree char *text = NULL;
  g_autoptr (SluiceDictBuilder) bb = sluice_dict_builder_new ();

  sluice_dict_builder_take (b, "z", sluice_value_new_integer (1));
  sluice_dict_builder_take (b, "a", sluice_value_new_integer (2));
  sluice_dict_builder_take (b, "m", sluice_value_new_integer (3));
  sluice_dict_builder_take (b, "z", sluice_value_new_integer (4)); /* replaces, keeps its place */
  sluice_dict_builder_remove (b, "m");
  sluice_dict_builder_remove (b, "absent");
  dict = sluice_dict_builder_end (g_steal_pointer (&b));
  text = sluice_value_to_json (dict);
  assert_string_equal (text, "{\"z\":4,\"a\":2}");
  assert_int_equal (sluice_value_dict_get_size (dict), 2);
  assert_null (sluice_value_dict_lookup (dict, "m"));

  /* Big dicts are looked up through their sorted index. */
  for (int i = 0; i < 200; i++)
    {
      char key[16];

      g_snprintf (key, sizeof key, "k%d", i);
      sluice_dict_builder_take (bb, key, sluice_value_new_integer (i));
      if (i % 10 == 0)
        sluice_dict_builder_take (bb, "k0", sluice_value_new_integer (-i));
    }
  sluice_dict_builder_remove (bb, "k5");
  big = sluice_dict_builder_end (g_steal_pointer (&bb));
  assert_int_equal (sluice_value_dict_get_size (big), 199);
  assert_string_equal (sluice_value_dict_get_key (big, 0), "k0");
  assert_int_equal (sluice_value_get_integer (sluice_value_dict_lookup (big, "k0")), -190);
  assert_int_equal (sluice_value_get_integer (sluice_value_dict_lookup (big, "k199")), 199);
  assert_null (sluice_value_dict_lookup (big, "k5"));
  assert_null (sluice_value_dict_lookup (big, "k200"));
}

static void
test_equality (void **state)
{
  static const char *const equal_pairs[][2] = {
    { "{\"a\":1,\"b\":[1,2]}", "{\"b\":[1,2],\"a\":1}" }, /* key order does not matter */
    { "\"~f1.50\"", "\"~f1.5\"" },                        /* decimals by value */
    { "\"~f100\"", "\"~f1e2\"" },
    { "0.0", "-0.0" },
    { "\"~t2015-01-02T03:04:05.100Z\"", "\"~t2015-01-02T03:04:05.1Z\"" },
    { "\"~uABCDEF00-0000-0000-0000-000000000000\"", "\"~uabcdef00-0000-0000-0000-000000000000\"" },
  };
  static const char *const unequal_pairs[][2] = {
    { "1", "1.0" },       /* different types never equal */
    { "1", "\"1\"" },
    { "\"~f1\"", "1" },
    { "\"~t2015-12-31\"", "\"~t2015-12-31T00:00:00Z\"" }, /* a date is not a datetime */
    { "[1,2]", "[2,1]" },
    { "{\"a\":1}", "{\"a\":1,\"b\":null}" },
    { "\"~:a\"", "\"a\"" },
    { "\"~rhttp://x\"", "\"~:http://x\"" },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (equal_pairs); i++)
    {
      g_autoptr (SluiceValue) a = parse (equal_pairs[i][0]);
      g_autoptr (SluiceValue) b = parse (equal_pairs[i][1]);

      if (!sluice_value_equal (a, b) || !sluice_value_equal (b, a))
        fail_msg ("%s should equal %s", equal_pairs[i][0], equal_pairs[i][1]);
    }
  for (size_t i = 0; i < G_N_ELEMENTS (unequal_pairs); i++)
    {
      g_autoptr (SluiceValue) a = parse (unequal_pairs[i][0]);
      g_autoptr (SluiceValue) b = parse (unequal_pairs[i][1]);

      if (sluice_value_equal (a, b))
        fail_msg ("%s should not equal %s", unequal_pairs[i][0], unequal_pairs[i][1]);
    }
}

static int
compare_json (const char *a, const char *b)
{
  g_autoptr (SluiceValue) va = parse (a);
  g_autoptr (SluiceValue) vb = parse (b);

  return sluice_value_compare (va, vb);
}

/* Every element of this list sorts strictly before the next (digest §1.5). */
static const char *const ascending[] = {
  "null",
  "false",
  "true",
  "-1e300",
  "-9223372036854775809",
  "-9223372036854775808",
  "-2.5",
  "\"~f-2.4999999999999999999\"",
  "-1",
  "0",
  "\"~f0.1\"",
  "0.10000000000000002",
  "1",
  "\"~f1.0000000000000000001\"",
  "1.5",
  "2",
  "9007199254740993",
  "9223372036854775807",
  "9223372036854775808",
  "1e19",
  "\"~t0001-01-01\"",
  "\"~t1969-12-31T23:59:59.999999999Z\"",
  "\"~t1970-01-01T00:00:00Z\"",
  "\"~t2015-12-31T00:00:00.000000001Z\"",
  "\"~t9999-12-31T23:59:59.999999999Z\"",
  "\"~u00000000-0000-0000-0000-000000000000\"",
  "\"~uffffffff-0000-0000-0000-000000000000\"",
  "\"~:a:1\"",
  "\"~:b:0\"",
  "\"~rhttp://a/\"",
  "\"\"",
  "\"A\"",
  "\"a\"",
  "\"ab\"",
  "\"\xc3\xa6\"",
  "\"\xf0\x9f\x98\x80\"",
  "{}",
  "{\"a\":1}",
  "{\"a\":1,\"b\":0}",
  "{\"a\":2}",
  "{\"b\":0}",
  "[]",
  "[null]",
  "[1,2]",
  "[1,2,0]",
  "[2]",
  "\"~b\"",
  "\"~bAA==\"",
  "\"~bAQ==\"",
};

static void
test_mixed_type_ordering (void **state)
{
  for (size_t i = 0; i < G_N_ELEMENTS (ascending); i++)
    for (size_t j = 0; j < G_N_ELEMENTS (ascending); j++)
      {
        int c = compare_json (ascending[i], ascending[j]);
        int expected = i < j ? -1 : i > j;

        if ((c > 0) - (c < 0) != expected)
          fail_msg ("compare (%s, %s) = %d, expected %d", ascending[i], ascending[j], c, expected);
      }
}

static gint
compare_indirect (gconstpointer a, gconstpointer b)
{
  return sluice_value_compare (*(SluiceValue *const *) a, *(SluiceValue *const *) b);
}

static void
test_numbers_compare_by_value (void **state)
{
  /* int, float and decimal are one rank: equal values compare 0 though they are not equal. */
  assert_int_equal (compare_json ("1", "1.0"), 0);
  assert_int_equal (compare_json ("\"~f1.00\"", "1"), 0);
  assert_int_equal (compare_json ("\"~f0.5\"", "0.5"), 0);
  assert_int_equal (compare_json ("9007199254740993", "9007199254740992.0"), 1);
  assert_int_equal (compare_json ("-0.0", "0"), 0);
  /* Dates and datetimes compare by instant. */
  assert_int_equal (compare_json ("\"~t2015-12-31\"", "\"~t2015-12-31T00:00:00Z\""), 0);
  /* The example of the digest: sorted [1.5, "b", 1, "a", 2] is [1, 1.5, 2, "a", "b"]. */
  {
    g_autoptr (SluiceValue) list = parse ("[1.5,\"b\",1,\"a\",2]");
    g_autoptr (GPtrArray) items = g_ptr_array_new ();
    g_autoptr (GString) out = g_string_new (NULL);

    for (size_t i = 0; i < sluice_value_list_get_length (list); i++)
      g_ptr_array_add (items, sluice_value_list_get (list, i));
    g_ptr_array_sort (items, compare_indirect);
    for (guint i = 0; i < items->len; i++)
      {
        sluice_json_write_value (out, items->pdata[i]);
        g_string_append_c (out, ' ');
      }
    assert_string_equal (out->str, "1 1.5 2 \"a\" \"b\" ");
  }
}

static gpointer
ref_unref_many (gpointer data)
{
  for (int k = 0; k < 100000; k++)
    sluice_value_unref (sluice_value_ref (sluice_value_dict_lookup (data, "a")));
  return NULL;
}

static void
test_values_shared_between_threads (void **state)
{
  g_autoptr (SluiceValue) shared = parse ("{\"a\":[1,2,3],\"b\":\"x\"}");
  GThread *threads[4];

  /* Values are immutable and their reference counts atomic: concurrent ref/unref is safe. */
  for (int i = 0; i < 4; i++)
    threads[i] = g_thread_new ("ref", ref_unref_many, shared);
  for (int i = 0; i < 4; i++)
    g_thread_join (threads[i]);
  assert_int_equal (sluice_value_list_get_length (sluice_value_dict_lookup (shared, "a")), 3);
}

/* A sized builder behaves like any builder: replacing, removing, growing past its size, and
 * keys that are not ASCII. */
static void
test_dict_builder_sized (void **state)
{
  SluiceDictBuilder *builder = sluice_dict_builder_new_sized (2);
  g_autoptr (SluiceValue) dict = NULL;
  g_autoptr (SluiceValue) expected = parse ("{\"b\": 2, \"k0\": 0, \"k1\": 1, \"k2\": 2, \"k3\": 3, "
                                            "\"k4\": 4, \"k5\": 5, \"k6\": 6, \"k7\": 7, \"k8\": 8, "
                                            "\"k9\": 9, \"k10\": 10, \"k11\": 11, \"k12\": 12, "
                                            "\"k13\": 13, \"k14\": 14, \"k15\": 15, \"k16\": 16, "
                                            "\"k17\": 17, \"k18\": 18, \"k19\": 19, \"bl\u00e5\": true}");

  sluice_dict_builder_take (builder, "a", sluice_value_new_integer (1));
  sluice_dict_builder_take (builder, "b", sluice_value_new_integer (1));
  sluice_dict_builder_take (builder, "b", sluice_value_new_integer (2));
  sluice_dict_builder_remove (builder, "a");
  for (int i = 0; i < 20; i++)
    {
      char key[8];

      g_snprintf (key, sizeof key, "k%d", i);
      sluice_dict_builder_take (builder, key, sluice_value_new_integer (i));
    }
  sluice_dict_builder_take (builder, "bl\u00e5", sluice_value_new_boolean (TRUE));
  /* Past the lookup-index threshold, replacing must still find the key. */
  sluice_dict_builder_take (builder, "k3", sluice_value_new_integer (3));
  dict = sluice_dict_builder_end (builder);
  assert_int_equal (sluice_value_dict_get_size (dict), 22);
  assert_string_equal (sluice_value_dict_get_key (dict, 0), "b");
  assert_string_equal (sluice_value_dict_get_key (dict, 21), "bl\u00e5");
  assert_true (sluice_value_equal (dict, expected));
  assert_int_equal (sluice_value_get_integer (sluice_value_dict_lookup (dict, "k17")), 17);
}

static void
test_dict_keys (void **state)
{
  const char *names[] = { "_id", "type", "name" };
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceDictKeys) keys = sluice_dict_keys_new (names, 3, &error);
  SluiceValue *values[3];
  g_autoptr (SluiceValue) dict = NULL;
  g_autoptr (SluiceValue) expected = parse ("{\"_id\": \"p-1\", \"type\": \"customer\", \"name\": [1, 2]}");
  g_autoptr (SluiceValue) list = parse ("[1, 2]");

  assert_null (error);
  assert_int_equal (sluice_dict_keys_get_size (keys), 3);
  assert_string_equal (sluice_dict_keys_get_key (keys, 1), "type");
  values[0] = sluice_value_new_string ("p-1", -1);
  values[1] = sluice_value_intern_string ("customer", -1);
  values[2] = sluice_value_ref (list);
  dict = sluice_value_new_dict_with_keys (keys, values);
  assert_true (sluice_value_equal (dict, expected));
  assert_string_equal (sluice_value_dict_get_key (dict, 2), "name");
  assert_ptr_equal (sluice_value_dict_lookup (dict, "name"), list);
}

static void
test_dict_keys_errors (void **state)
{
  const char *repeated[] = { "a", "b", "a" };
  const char *bad[] = { "ok", "\xff" };
  GError *error = NULL;

  assert_null (sluice_dict_keys_new (repeated, 3, &error));
  assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA));
  assert_string_equal (error->message, "dict key \"a\" appears more than once: expected distinct keys");
  g_clear_error (&error);
  assert_null (sluice_dict_keys_new (bad, 2, &error));
  assert_string_equal (error->message, "dict key 1 is not valid UTF-8: expected UTF-8 text");
  g_clear_error (&error);
}

/* Over the index threshold, a dict of prepared keys finds keys like any other dict. */
static void
test_dict_keys_large (void **state)
{
  const char *names[20];
  char buf[20][8];
  SluiceValue *values[20];
  g_autoptr (SluiceDictKeys) keys = NULL;
  g_autoptr (SluiceValue) dict = NULL;

  for (int i = 0; i < 20; i++)
    {
      g_snprintf (buf[i], sizeof buf[i], "k%02d", 19 - i);
      names[i] = buf[i];
      values[i] = sluice_value_new_integer (19 - i);
    }
  keys = sluice_dict_keys_new (names, 20, NULL);
  dict = sluice_value_new_dict_with_keys (keys, values);
  for (int i = 0; i < 20; i++)
    {
      char key[8];

      g_snprintf (key, sizeof key, "k%02d", i);
      assert_int_equal (sluice_value_get_integer (sluice_value_dict_lookup (dict, key)), i);
    }
  assert_null (sluice_value_dict_lookup (dict, "k20"));
}

/* The borrowed form copies small scalars into the dict: readers cannot tell, the content hash is
 * that of the same dict built by a builder, and a copied value outlives the dict while someone
 * holds it. */
static void
test_dict_keys_borrowed (void **state)
{
  const char *names[] = { "_id", "n", "f", "t", "big", "list", "flag" };
  g_autoptr (SluiceDictKeys) keys = sluice_dict_keys_new (names, G_N_ELEMENTS (names), NULL);
  g_autoptr (SluiceValue) source = parse ("{\"id\": \"p-1\", \"n\": 123456, \"f\": 2.5, "
                                          "\"t\": \"~t2024-01-02T03:04:05Z\", \"list\": [1]}");
  g_autofree char *long_text = g_strnfill (100, 'x');
  g_autoptr (SluiceValue) big = sluice_value_new_string (long_text, -1);
  SluiceValue *values[7];
  SluiceValue *dict, *id;
  g_autoptr (SluiceValue) expected = NULL;
  SluiceDictBuilder *builder = sluice_dict_builder_new ();
  uint8_t h1[SLUICE_HASH_SIZE], h2[SLUICE_HASH_SIZE];

  values[0] = sluice_value_dict_lookup (source, "id");
  values[1] = sluice_value_dict_lookup (source, "n");
  values[2] = sluice_value_dict_lookup (source, "f");
  values[3] = sluice_value_dict_lookup (source, "t");
  values[4] = big;
  values[5] = sluice_value_dict_lookup (source, "list");
  values[6] = sluice_value_new_boolean (TRUE);
  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    sluice_dict_builder_add (builder, names[i], values[i]);
  expected = sluice_dict_builder_end (builder);

  dict = sluice_value_new_dict_with_keys_borrowed (keys, values);
  assert_true (sluice_value_equal (dict, expected));
  assert_int_equal (sluice_value_compare (dict, expected), 0);
  sluice_hash_value (dict, h1);
  sluice_hash_value (expected, h2);
  assert_memory_equal (h1, h2, SLUICE_HASH_SIZE);
  {
    g_autofree char *json = sluice_value_to_json (dict);

    assert_string_equal (json, "{\"_id\":\"p-1\",\"n\":123456,\"f\":2.5,\"t\":\"~t2024-01-02T03:04:05Z\","
                               "\"big\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                               "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"list\":[1],\"flag\":true}");
  }
  /* Containers are shared, not copied. */
  assert_ptr_equal (sluice_value_dict_lookup (dict, "list"), values[5]);
  assert_ptr_equal (sluice_value_dict_lookup (dict, "big"), big);

  id = sluice_value_ref (sluice_value_dict_lookup (dict, "_id"));
  sluice_value_unref (dict);
  assert_string_equal (sluice_value_get_string (id, NULL), "p-1");
  assert_true (sluice_value_equal (id, values[0]));
  sluice_value_unref (id);
}

static void
test_intern_string (void **state)
{
  SluiceValue *a = sluice_value_intern_string ("customer", -1);
  SluiceValue *b = sluice_value_intern_string ("customerX", 8);
  g_autoptr (SluiceValue) plain = sluice_value_new_string ("customer", -1);
  size_t len;

  assert_ptr_equal (a, b);
  assert_true (sluice_value_equal (a, plain));
  assert_string_equal (sluice_value_get_string (a, &len), "customer");
  assert_int_equal (len, 8);
  /* References to it are free and never release it. */
  for (int i = 0; i < 3; i++)
    sluice_value_unref (sluice_value_ref (a));
  sluice_value_unref (a);
  sluice_value_unref (b);
  assert_string_equal (sluice_value_get_string (a, NULL), "customer");
}

static void
test_dict_lookup_hinted (void **state)
{
  g_autoptr (SluiceValue) a = parse ("{\"x\": 1, \"name\": \"A\", \"y\": 2}");
  g_autoptr (SluiceValue) b = parse ("{\"name\": \"B\", \"x\": 1}");
  g_autoptr (SluiceValue) c = parse ("{\"x\": 1}");
  size_t hint = 0;

  assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup_hinted (a, "name", -1, &hint), NULL), "A");
  assert_int_equal (hint, 1);
  assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup_hinted (a, "name", 4, &hint), NULL), "A");
  /* A different layout: found anyway, and the hint follows. */
  assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup_hinted (b, "name", 4, &hint), NULL), "B");
  assert_int_equal (hint, 0);
  assert_null (sluice_value_dict_lookup_hinted (c, "name", 4, &hint));
  /* A hint beyond the dict is harmless. */
  hint = 99;
  assert_int_equal (sluice_value_get_integer (sluice_value_dict_lookup_hinted (c, "x", -1, &hint)), 1);
  /* Same length, different key at the hinted position. */
  hint = 0;
  assert_null (sluice_value_dict_lookup_hinted (c, "y", -1, &hint));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_scalars),
    cmocka_unit_test (test_typed_constructors),
    cmocka_unit_test (test_typed_constructor_errors),
    cmocka_unit_test (test_dict_builder),
    cmocka_unit_test (test_equality),
    cmocka_unit_test (test_mixed_type_ordering),
    cmocka_unit_test (test_numbers_compare_by_value),
    cmocka_unit_test (test_values_shared_between_threads),
    cmocka_unit_test (test_dict_builder_sized),
    cmocka_unit_test (test_dict_keys),
    cmocka_unit_test (test_dict_keys_errors),
    cmocka_unit_test (test_dict_keys_large),
    cmocka_unit_test (test_dict_keys_borrowed),
    cmocka_unit_test (test_intern_string),
    cmocka_unit_test (test_dict_lookup_hinted),
  };

  return cmocka_run_group_tests_name ("value", tests, NULL, NULL);
}
