/* test-hash.c — the content hash (plugin-sdk/sluice-hash.c): stable across runs and machines
 * (checked against the committed table tests/fixtures/hashes.jsonl), independent of key order, and
 * blind to the reserved fields that a dataset regenerates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <xxhash.h>

#include "sluice-binary.h"
#include "sluice-hash.h"
#include "sluice-json.h"

#include "test-binary-samples.h"

static char *
hex_of_value (const SluiceValue *value, gboolean entity)
{
  uint8_t hash[SLUICE_HASH_SIZE];
  char *hex = g_malloc (33);

  if (entity)
    sluice_hash_entity_body (value, hash);
  else
    sluice_hash_value (value, hash);
  sluice_hash_to_hex (hash, hex);
  return hex;
}

/* Every line of the table: {"hash": expected, "entity": true if hashed as an entity body,
 * "note": why the line is there, "body": the value}. */
static void
test_committed_table (void **state)
{
  g_autofree char *path = g_build_filename (g_getenv ("SLUICE_TEST_SRCDIR"), "tests", "fixtures",
                                            "hashes.jsonl", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (0);
  SluiceValue *line;
  gsize len;
  guint n = 0;

  assert_true (g_file_get_contents (path, &text, &len, &error));
  assert_true (sluice_json_reader_feed (reader, text, len, &error));
  assert_true (sluice_json_reader_finish (reader, &error));
  while ((line = sluice_json_reader_pop (reader)) != NULL)
    {
      SluiceValue *body = sluice_value_dict_lookup (line, "body");
      const char *expected = sluice_value_get_string (sluice_value_dict_lookup (line, "hash"), NULL);
      g_autofree char *hex = hex_of_value (body, sluice_value_dict_lookup (line, "entity") != NULL);

      if (strcmp (hex, expected) != 0)
        fail_msg ("%s: hash %s, expected %s",
                  sluice_value_get_string (sluice_value_dict_lookup (line, "note"), NULL), hex,
                  expected);
      sluice_value_unref (line);
      n++;
    }
  assert_true (n >= 20);
}

/* The canonical form is a contract: the integer 1 is tag 0x03 and 8 little-endian bytes, the
 * string "1" is tag 0x06, an 8-byte length and the bytes; XXH3-128 over that, big-endian. */
static void
test_canonical_form_by_hand (void **state)
{
  static const guchar int_one[] = { 0x03, 1, 0, 0, 0, 0, 0, 0, 0 };
  static const guchar str_one[] = { 0x06, 1, 0, 0, 0, 0, 0, 0, 0, '1' };
  g_autoptr (SluiceValue) i = sluice_value_new_integer (1);
  g_autoptr (SluiceValue) s = sluice_value_new_string ("1", 1);
  g_autofree char *hi = hex_of_value (i, FALSE);
  g_autofree char *hs = hex_of_value (s, FALSE);
  g_autofree char *ei = xxh3_hex (int_one, sizeof int_one);
  g_autofree char *es = xxh3_hex (str_one, sizeof str_one);

  assert_string_equal (hi, ei);
  assert_string_equal (hs, es);
}

static void
test_entity_rules (void **state)
{
  g_autoptr (SluiceValue) plain = sluice_value_from_json ("{\"_id\":\"a\",\"x\":1}", -1, NULL);
  g_autoptr (SluiceValue) meta = sluice_value_from_json (
    "{\"x\":1,\"_ts\":5,\"_id\":\"a\",\"_deleted\":0,\"_updated\":\"7\"}", -1, NULL);
  g_autoptr (SluiceValue) deleted = sluice_value_from_json (
    "{\"_id\":\"a\",\"x\":1,\"_deleted\":true}", -1, NULL);
  g_autoptr (SluiceValue) other_id = sluice_value_from_json ("{\"_id\":\"b\",\"x\":1}", -1, NULL);
  g_autofree char *h1 = hex_of_value (plain, TRUE);
  g_autofree char *h2 = hex_of_value (meta, TRUE);
  g_autofree char *h3 = hex_of_value (deleted, TRUE);
  g_autofree char *h4 = hex_of_value (other_id, TRUE);
  g_autofree char *h5 = hex_of_value (plain, FALSE);

  assert_string_equal (h1, h2);
  assert_string_not_equal (h1, h3);
  assert_string_not_equal (h1, h4);
  /* As a plain value, nothing is left out. */
  assert_string_equal (h5, h1);
  {
    g_autofree char *hm = hex_of_value (meta, FALSE);

    assert_string_not_equal (hm, h1);
  }
}

static void
test_equal_values_hash_equal (void **state)
{
  static const char *const inputs[][2] = {
    { "{\"a\":{\"y\":1,\"x\":[1,\"~f2.0\"]},\"b\":2}", "{\"b\":2,\"a\":{\"x\":[1,\"~f2\"],\"y\":1}}" },
    { "\"~t2015-01-02T03:04:05.100Z\"", "\"~t2015-01-02T03:04:05.1Z\"" },
  };

  for (size_t i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (SluiceValue) a = sluice_value_from_json (inputs[i][0], -1, NULL);
      g_autoptr (SluiceValue) b = sluice_value_from_json (inputs[i][1], -1, NULL);
      g_autofree char *ha = hex_of_value (a, FALSE);
      g_autofree char *hb = hex_of_value (b, FALSE);

      assert_true (sluice_value_equal (a, b));
      assert_string_equal (ha, hb);
    }
}

/* The same dict with its entries in the opposite order (recursively), built as a plugin would. */
static SluiceValue *
reversed (SluiceValue *value)
{
  if (sluice_value_get_kind (value) == SLUICE_VALUE_LIST)
    {
      g_autoptr (SluiceListBuilder) builder = sluice_list_builder_new ();

      for (size_t i = 0; i < sluice_value_list_get_length (value); i++)
        sluice_list_builder_take (builder, reversed (sluice_value_list_get (value, i)));
      return sluice_list_builder_end (g_steal_pointer (&builder));
    }
  if (sluice_value_get_kind (value) == SLUICE_VALUE_DICT)
    {
      g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();

      for (size_t i = sluice_value_dict_get_size (value); i-- > 0;)
        sluice_dict_builder_take (builder, sluice_value_dict_get_key (value, i),
                                  reversed (sluice_value_dict_get_value (value, i)));
      return sluice_dict_builder_end (g_steal_pointer (&builder));
    }
  return sluice_value_ref (value);
}

static void
assert_pinned_hashes (const PinnedSample *sample, const SluiceValue *value, const char *how)
{
  g_autofree char *hv = hex_of_value (value, FALSE);

  if (strcmp (hv, sample->value_hash) != 0)
    fail_msg ("%s (%s): value hash %s, expected %s", sample->note, how, hv, sample->value_hash);
  if (sample->entity_hash != NULL)
    {
      g_autofree char *he = hex_of_value (value, TRUE);

      if (strcmp (he, sample->entity_hash) != 0)
        fail_msg ("%s (%s): entity hash %s, expected %s", sample->note, how, he,
                  sample->entity_hash);
    }
}

/* Stored datasets depend on these hashes (test-binary-samples.h), whatever the layout of the
 * value in memory and the order of its keys. */
static void
test_pinned_hashes (void **state)
{
  for (size_t i = 0; i < G_N_ELEMENTS (pinned_samples); i++)
    {
      const PinnedSample *sample = &pinned_samples[i];
      g_autoptr (SluiceValue) v = sluice_value_from_json (sample->json, -1, NULL);
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (SluiceValue) decoded = NULL;
      g_autoptr (SluiceValue) backwards = NULL;
      gsize len;
      const void *data;

      assert_non_null (v);
      assert_pinned_hashes (sample, v, "parsed");
      bytes = sluice_binary_encode (v);
      data = g_bytes_get_data (bytes, &len);
      decoded = sluice_binary_decode (data, len, NULL);
      assert_non_null (decoded);
      assert_pinned_hashes (sample, decoded, "decoded");
      /* Builders take keys as C strings: a key with a NUL in it cannot be rebuilt. */
      backwards = reversed (v);
      if (sluice_value_equal (backwards, v))
        assert_pinned_hashes (sample, backwards, "keys in reverse order");
      else
        assert_string_equal (sample->note, "keys that share prefixes, NULs and non-ASCII bytes");
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_committed_table),
    cmocka_unit_test (test_canonical_form_by_hand),
    cmocka_unit_test (test_entity_rules),
    cmocka_unit_test (test_equal_values_hash_equal),
    cmocka_unit_test (test_pinned_hashes),
  };

  return cmocka_run_group_tests_name ("hash", tests, NULL, NULL);
}
