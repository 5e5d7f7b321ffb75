/* test-value-arena.c — entities decoded as one block (plugin-sdk/sluice-value-arena.c): what the
 * JSON reader and the binary decoder hand out is equal to what they built before, node by node;
 * a part of an entity outlives the entity's own reference; copies into another dict do not depend
 * on the source; corrupt input still gives the decoder's exact error; dict lookups with the stored
 * key prefix find every key (the sanitizer build checks the lifetimes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-binary.h"
#include "sluice-error.h"
#include "sluice-json.h"
/* Only to check that the fast representation is the one handed out. */
#include "sluice-value-private.h"

#define ENTITY                                                                                    \
  "{\"_id\":\"person-1\",\"name\":\"Ola Nordmann\",\"email\":\"user1@example.org\",\"age\":42,"   \
  "\"big\":-1234567,\"updated\":\"~t2026-03-04T12:00:00Z\",\"day\":\"~t2026-03-04\","             \
  "\"address\":{\"street\":\"Street 5\",\"zip\":\"0150\",\"city\":\"Oslo\"},"                      \
  "\"tags\":[\"a\",\"b\",null,true,[],{}],\"score\":42.125,\"price\":\"~f12.50\","                 \
  "\"huge\":123456789012345678901234567890,\"ni\":\"~:crm:1\",\"uri\":\"~rhttp://x/\","            \
  "\"blob\":\"~bAAECAwQF\",\"uuid\":\"~u531a379e-31bb-4ce1-8690-158dceb64be6\",\"\":\"empty key\"}"

static SluiceValue *
read_one (const char *json)
{
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (0);
  g_autoptr (GError) error = NULL;
  SluiceValue *value;

  if (!sluice_json_reader_feed (reader, json, strlen (json), &error)
      || !sluice_json_reader_finish (reader, &error))
    fail_msg ("%s", error->message);
  value = sluice_json_reader_pop (reader);
  assert_non_null (value);
  assert_null (sluice_json_reader_pop (reader));
  return value;
}

static SluiceValue *
decode (GBytes *bytes, GError **error)
{
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);

  return sluice_binary_decode (data, len, error);
}

static gboolean
is_block (const SluiceValue *value)
{
  return (value->flags & VALUE_FLAG_ARENA) != 0;
}

/* The JSON reader hands out each entity as one block, equal to the value parsed as a single
 * value (which is built node by node), with the same JSON text. */
static void
test_json_entities (void **state)
{
  g_autoptr (SluiceValue) entity = read_one (ENTITY);
  g_autoptr (SluiceValue) single = sluice_value_from_json (ENTITY, -1, NULL);
  g_autofree char *a = sluice_value_to_json (entity);
  g_autofree char *b = sluice_value_to_json (single);

  assert_true (is_block (entity));
  assert_false (is_block (single));
  assert_true (sluice_value_equal (entity, single));
  assert_string_equal (a, b);
  assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup (sluice_value_dict_lookup (entity, "address"),
                                                                          "city"), NULL),
                       "Oslo");
}

/* A repeated key in JSON is refused (test-json.c has the details); the entity before it is
 * handed out whole, and nothing of the refused one is left behind. */
static void
test_json_repeated_key (void **state)
{
  const char *in = "{\"a\":1,\"b\":{\"c\":\"~t2026-03-04\"}}\n{\"a\":\"~f1.5\",\"b\":2,\"a\":3}";
  g_autoptr (SluiceJsonReader) reader = sluice_json_reader_new (0);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) first = NULL;
  g_autofree char *text = NULL;

  assert_false (sluice_json_reader_feed (reader, in, strlen (in), &error));
  assert_string_equal (error->message,
                       "byte 52: duplicate key \"a\" in the object starting at byte 33 (first at "
                       "byte 34)");
  first = sluice_json_reader_pop (reader);
  assert_true (is_block (first));
  text = sluice_value_to_json (first);
  assert_string_equal (text, "{\"a\":1,\"b\":{\"c\":\"~t2026-03-04\"}}");
  assert_null (sluice_json_reader_pop (reader));
}

/* The binary decoder builds containers as one block, equal to the original, for every type. */
static void
test_binary_round_trip (void **state)
{
  g_autoptr (SluiceValue) original = sluice_value_from_json (ENTITY, -1, NULL);
  g_autoptr (GBytes) bytes = sluice_binary_encode (original);
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) back = decode (bytes, &error);
  g_autofree char *a = NULL, *b = NULL;

  assert_null (error);
  assert_true (is_block (back));
  assert_true (sluice_value_equal (original, back));
  a = sluice_value_to_json (original);
  b = sluice_value_to_json (back);
  assert_string_equal (a, b);
  assert_true (sluice_value_is_date (sluice_value_dict_lookup (back, "day")));
  /* Scalars at the top are ordinary nodes. */
  {
    g_autoptr (SluiceValue) s = sluice_value_new_string ("x", -1);
    g_autoptr (GBytes) sb = sluice_binary_encode (s);
    g_autoptr (SluiceValue) sback = decode (sb, NULL);

    assert_false (is_block (sback));
    assert_true (sluice_value_equal (s, sback));
  }
}

/* A dict large enough for a sorted index, in a block: every key is found. */
static void
test_large_dict (void **state)
{
  g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();
  g_autoptr (SluiceValue) original = NULL, back = NULL;
  g_autoptr (GBytes) bytes = NULL;

  for (int i = 40; i > 0; i--)
    {
      g_autofree char *key = g_strdup_printf ("key-%d", i);

      sluice_dict_builder_take (builder, key, sluice_value_new_integer (i * 1000));
    }
  original = sluice_dict_builder_end (g_steal_pointer (&builder));
  bytes = sluice_binary_encode (original);
  back = decode (bytes, NULL);
  assert_true (is_block (back));
  assert_true (sluice_value_equal (original, back));
  for (int i = 1; i <= 40; i++)
    {
      g_autofree char *key = g_strdup_printf ("key-%d", i);

      assert_int_equal (sluice_value_get_integer (sluice_value_dict_lookup (back, key)), i * 1000);
    }
  assert_null (sluice_value_dict_lookup (back, "key-41"));
}

/* A part of an entity taken with a reference outlives the entity's own reference. */
static void
test_part_outlives_entity (void **state)
{
  SluiceValue *entity = read_one (ENTITY);
  SluiceValue *address = sluice_value_ref (sluice_value_dict_lookup (entity, "address"));
  SluiceValue *tags = sluice_value_ref (sluice_value_dict_lookup (entity, "tags"));

  sluice_value_unref (entity);
  assert_string_equal (sluice_value_get_string (sluice_value_dict_lookup (address, "zip"), NULL), "0150");
  sluice_value_unref (address);
  assert_int_equal (sluice_value_list_get_length (tags), 6);
  assert_string_equal (sluice_value_get_string (sluice_value_list_get (tags, 1), NULL), "b");
  sluice_value_unref (tags);
}

/* A dict built from an entity's values (what a transform's output is) keeps no reference to the
 * entity's block for small scalars, and holds the others. */
static void
test_borrowed_copies (void **state)
{
  const char *names[] = { "id", "city", "score", "tags", "big" };
  g_autoptr (SluiceDictKeys) keys = sluice_dict_keys_new (names, G_N_ELEMENTS (names), NULL);
  SluiceValue *entity = read_one (ENTITY);
  SluiceValue *values[5];
  g_autoptr (SluiceValue) out = NULL;
  g_autofree char *text = NULL;

  values[0] = sluice_value_dict_lookup (entity, "_id");
  values[1] = sluice_value_dict_lookup (sluice_value_dict_lookup (entity, "address"), "city");
  values[2] = sluice_value_dict_lookup (entity, "score");
  values[3] = sluice_value_dict_lookup (entity, "tags");
  values[4] = sluice_value_dict_lookup (entity, "big");
  out = sluice_value_new_dict_with_keys_borrowed (keys, values);
  sluice_value_unref (entity);
  text = sluice_value_to_json (out);
  assert_string_equal (text, "{\"id\":\"person-1\",\"city\":\"Oslo\",\"score\":42.125,"
                             "\"tags\":[\"a\",\"b\",null,true,[],{}],\"big\":-1234567}");
}

/* Corrupt input through the block path gives the node-by-node decoder's exact error. */
static void
test_corrupt_errors (void **state)
{
  /* {"a": "x\xff"}: a dict whose string is not UTF-8. */
  static const uint8_t bad_string[] = { 0x01, 9, 1, 1, 'a', 7, 2, 'x', 0xff };
  /* {"\xff": null} */
  static const uint8_t bad_key[] = { 0x01, 9, 1, 1, 0xff, 0 };
  /* [1, <truncated string>] */
  static const uint8_t truncated[] = { 0x01, 8, 2, 3, 2, 7, 5, 'a' };
  /* [~t with 2e9 nanoseconds] */
  static const uint8_t bad_time[] = { 0x01, 8, 1, 10, 0, 0x80, 0xa8, 0xd6, 0xb9, 0x07 };
  g_autoptr (GError) error = NULL;

  assert_null (sluice_binary_decode (bad_string, sizeof bad_string, &error));
  assert_string_equal (error->message, "invalid binary value at byte 6: string is not valid UTF-8");
  g_clear_error (&error);
  assert_null (sluice_binary_decode (bad_key, sizeof bad_key, &error));
  assert_string_equal (error->message, "invalid binary value at byte 3: dict key is not valid UTF-8");
  g_clear_error (&error);
  assert_null (sluice_binary_decode (truncated, sizeof truncated, &error));
  assert_string_equal (error->message, "invalid binary value at byte 6: string of 5 bytes runs past "
                                       "the end (1 bytes left)");
  g_clear_error (&error);
  assert_null (sluice_binary_decode (bad_time, sizeof bad_time, &error));
  assert_string_equal (error->message, "invalid binary value at byte 3: datetime out of range "
                                       "(0001-01-01 to 9999-12-31)");
}

/* A repeated key in the binary form (never written by sluice) decodes as it always did: first
 * position, last value. */
static void
test_binary_repeated_key (void **state)
{
  static const uint8_t data[] = { 0x01, 9, 3, 1, 'a', 3, 2, 1, 'b', 3, 4, 1, 'a', 3, 6 };
  g_autoptr (SluiceValue) value = sluice_binary_decode (data, sizeof data, NULL);
  g_autofree char *text = sluice_value_to_json (value);

  assert_string_equal (text, "{\"a\":3,\"b\":2}");
}

/* Hinted lookups compare a stored prefix of the key first: keys that share it, keys shorter than
 * it, and stale hints all find the right entry. */
static void
test_lookup_prefixes (void **state)
{
  g_autoptr (SluiceValue) dict = sluice_value_from_json ("{\"abcd\":1,\"abcde\":2,\"abcdf\":3,\"\":4,"
                                                         "\"a\":5,\"ab\":6,\"abc\":7,\"abd\":8}", -1,
                                                         NULL);
  const char *keys[] = { "abcd", "abcde", "abcdf", "", "a", "ab", "abc", "abd" };
  size_t hint = 0;

  for (int round = 0; round < 2; round++)
    for (size_t i = 0; i < G_N_ELEMENTS (keys); i++)
      {
        SluiceValue *v = sluice_value_dict_lookup_hinted (dict, keys[i], -1, &hint);

        assert_non_null (v);
        assert_int_equal (sluice_value_get_integer (v), (int64_t) i + 1);
        assert_int_equal (sluice_value_get_integer (sluice_value_dict_lookup (dict, keys[i])),
                          (int64_t) i + 1);
      }
  assert_null (sluice_value_dict_lookup_hinted (dict, "abce", -1, &hint));
  assert_null (sluice_value_dict_lookup_hinted (dict, "abcdg", -1, &hint));
  assert_null (sluice_value_dict_lookup (dict, "b"));
  hint = 1000;
  assert_int_equal (sluice_value_get_integer (sluice_value_dict_lookup_hinted (dict, "abcdf", 5, &hint)), 3);
  assert_int_equal (hint, 2);
}

/* Prefetching is only a hint: any value, part of a block or not, and NULL. */
static void
test_prefetch (void **state)
{
  g_autoptr (SluiceValue) entity = read_one (ENTITY);
  g_autoptr (SluiceValue) single = sluice_value_from_json (ENTITY, -1, NULL);

  sluice_value_prefetch (entity);
  sluice_value_prefetch (sluice_value_dict_lookup (entity, "address"));
  sluice_value_prefetch (single);
  sluice_value_prefetch (sluice_value_new_null ());
  sluice_value_prefetch (NULL);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_json_entities),
    cmocka_unit_test (test_json_repeated_key),
    cmocka_unit_test (test_binary_round_trip),
    cmocka_unit_test (test_large_dict),
    cmocka_unit_test (test_part_outlives_entity),
    cmocka_unit_test (test_borrowed_copies),
    cmocka_unit_test (test_corrupt_errors),
    cmocka_unit_test (test_binary_repeated_key),
    cmocka_unit_test (test_lookup_prefixes),
    cmocka_unit_test (test_prefetch),
  };

  return cmocka_run_group_tests (tests, NULL, NULL);
}
