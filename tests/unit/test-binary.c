/* test-binary.c — the compact binary form of stored entity bodies (plugin-sdk/sluice-binary.c):
 * round trips of every type, the exact byte layout of a few values, and corrupt input refused with
 * an error, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sluice-binary.h"
#include "sluice-error.h"
#include "sluice-json.h"

#include "test-binary-samples.h"

static const char *const samples[] = {
  "null", "true", "false", "0", "-1", "9223372036854775807", "-9223372036854775808", "1.5", "-0.0",
  "1e300", "\"~f-12.50\"", "123456789012345678901234567890", "\"\"", "\"a\\u0000b\\ud83d\\ude00\"",
  "[]", "{}", "\"~t2015-01-02T03:04:05.123456789Z\"", "\"~t0001-01-01\"", "\"~t9999-12-31\"",
  "\"~t1969-12-31T23:59:59Z\"", "\"~:ns:1\"", "\"~rhttp://x/\"", "\"~bAAECAwQF\"", "\"~b\"",
  "\"~u531a379e-31bb-4ce1-8690-158dceb64be6\"",
  "{\"_id\":\"person-0\",\"name\":\"Ola Nordmann\",\"age\":18,\"address\":{\"city\":\"Oslo\"},"
  "\"tags\":[\"a\",\"b\"],\"score\":42.5,\"\":{\"\":[[],{}]}}",
};

static SluiceValue *
round_trip (const SluiceValue *value)
{
  g_autoptr (GBytes) bytes = sluice_binary_encode (value);
  g_autoptr (GError) error = NULL;
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);
  SluiceValue *back = sluice_binary_decode (data, len, &error);

  if (back == NULL)
    fail_msg ("%s", error->message);
  return back;
}

static void
test_round_trips (void **state)
{
  for (size_t i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autoptr (SluiceValue) v = sluice_value_from_json (samples[i], -1, NULL);
      g_autoptr (SluiceValue) back = round_trip (v);
      g_autofree char *a = sluice_value_to_json (v);
      g_autofree char *b = sluice_value_to_json (back);

      assert_true (sluice_value_equal (v, back));
      /* Also what equality does not see: -0.0, decimal text, date versus datetime. */
      assert_string_equal (a, b);
      assert_int_equal (sluice_value_is_date (v), sluice_value_is_date (back));
    }
}

static void
test_layout (void **state)
{
  g_autoptr (SluiceValue) v = sluice_value_from_json ("{\"a\":[-1,\"xy\",true,null]}", -1, NULL);
  g_autoptr (GBytes) bytes = sluice_binary_encode (v);
  static const uint8_t expected[] = {
    0x01,                   /* format 1 */
    0x09, 0x01,             /* dict of 1 */
    0x01, 'a',              /* key "a" */
    0x08, 0x04,             /* list of 4 */
    0x03, 0x01,             /* integer -1, zigzag */
    0x07, 0x02, 'x', 'y',   /* string "xy" */
    0x02,                   /* true */
    0x00,                   /* null */
  };
  gsize len;
  const uint8_t *data = g_bytes_get_data (bytes, &len);

  assert_int_equal (len, sizeof expected);
  assert_memory_equal (data, expected, sizeof expected);
}

static char *
hex_of (const uint8_t *data, size_t len)
{
  GString *out = g_string_sized_new (2 * len + 1);

  for (size_t i = 0; i < len; i++)
    g_string_append_printf (out, "%02x", data[i]);
  return g_string_free (out, FALSE);
}

/* The bytes @value encodes to, appended behind @prefix_len bytes already in the array, must be
 * exactly the pinned ones of @sample, and the bytes before them untouched. */
static void
assert_pinned_encoding (const PinnedSample *sample, const SluiceValue *value, guint prefix_len)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autofree char *digest = NULL;

  g_byte_array_set_size (out, prefix_len);
  if (prefix_len > 0)
    memset (out->data, 0xa5, prefix_len);
  sluice_binary_append (out, value);
  for (guint i = 0; i < prefix_len; i++)
    assert_int_equal (out->data[i], 0xa5);
  digest = xxh3_hex (out->data + prefix_len, out->len - prefix_len);
  if (out->len - prefix_len != sample->binary_len || strcmp (digest, sample->binary_xxh3) != 0)
    fail_msg ("%s: %u bytes with XXH3-128 %s, expected %zu bytes with %s", sample->note,
              out->len - prefix_len, digest, sample->binary_len, sample->binary_xxh3);
}

/* Stored datasets depend on these bytes: test-binary-samples.h pins them for every type. */
static void
test_pinned_bytes (void **state)
{
  static const char standard_entity[] =
    "010908035f69640708706572736f6e2d30046e616d65070d4b617269204e6f72646d616e6e05656d61696c0711757365"
    "7230406578616d706c652e6f726703616765036a07757064617465640714323032362d30342d30385431323a30303a30"
    "305a07616464726573730903067374726565740709537472656574203336037a69700704323637390463697479070954"
    "726f6e646865696d047461677308030701660701650701610573636f72650483c0caa145864d40";

  for (size_t i = 0; i < G_N_ELEMENTS (pinned_samples); i++)
    {
      const PinnedSample *sample = &pinned_samples[i];
      g_autoptr (SluiceValue) v = sluice_value_from_json (sample->json, -1, NULL);
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (SluiceValue) back = NULL;
      gsize len;
      const uint8_t *data;

      assert_non_null (v);
      bytes = sluice_binary_encode (v);
      data = g_bytes_get_data (bytes, &len);
      if (i == 0)
        {
          g_autofree char *hex = hex_of (data, len);

          assert_string_equal (hex, standard_entity);
        }
      assert_pinned_encoding (sample, v, 0);
      /* The store appends many bodies to one buffer, each growing it. */
      assert_pinned_encoding (sample, v, 1);
      assert_pinned_encoding (sample, v, 1000);
      /* A decoded value (one arena block) encodes to the same bytes. */
      back = sluice_binary_decode (data, len, NULL);
      assert_non_null (back);
      assert_pinned_encoding (sample, back, 3);
    }
}

static void
assert_corrupt (const void *data, size_t len, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SluiceValue) v = sluice_binary_decode (data, len, &error);

  assert_null (v);
  assert_true (g_error_matches (error, SLUICE_ERROR, SLUICE_ERROR_INVALID_DATA));
  assert_string_equal (error->message, message);
}

static void
test_corrupt_input (void **state)
{
  assert_corrupt ("", 0, "invalid binary value at byte 0: empty input: expected a format byte");
  assert_corrupt ("\x02\x00", 2, "invalid binary value at byte 0: unknown format 0x02, expected 0x01");
  assert_corrupt ("\x01", 1, "invalid binary value at byte 1: truncated: expected a type tag");
  assert_corrupt ("\x01\x00\x00", 3, "invalid binary value at byte 2: 1 bytes left after the value");
  assert_corrupt ("\x01\x63", 2, "invalid binary value at byte 1: unknown type tag 0x63");
  assert_corrupt ("\x01\x07\x05" "ab", 5,
                  "invalid binary value at byte 2: string of 5 bytes runs past the end (2 bytes left)");
  assert_corrupt ("\x01\x07\x02\xc3\x28", 5, "invalid binary value at byte 2: string is not valid UTF-8");
  assert_corrupt ("\x01\x04\x00\x00", 4, "invalid binary value at byte 1: truncated: expected 8 bytes of a float");
  assert_corrupt ("\x01\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 13,
                  "invalid binary value at byte 2: varint longer than 64 bits");
  assert_corrupt ("\x01\x08\xff\xff\xff\xff\x0f", 7,
                  "invalid binary value at byte 1: list of 4294967295 elements is longer than the input");
  assert_corrupt ("\x01\x09\x01\x01", 4,
                  "invalid binary value at byte 1: dict of 1 entries is longer than the input");
  assert_corrupt ("\x01\x09\x01\x05" "ab\x00", 7,
                  "invalid binary value at byte 3: dict key of 5 bytes runs past the end (3 bytes left)");
  assert_corrupt ("\x01\x05\x03" "1x2", 6, "invalid binary value at byte 1: invalid decimal text");
  assert_corrupt ("\x01\x0a\x00\x80\x94\xeb\xdc\x03", 8,
                  "invalid binary value at byte 1: datetime out of range (0001-01-01 to 9999-12-31)");
}

/* Keys and texts of every short length, next to each other and at the end of the input, decode
 * to exactly what was encoded (the decoder copies short texts a word at a time). */
static void
test_text_lengths (void **state)
{
  for (size_t n = 1; n <= 24; n++)
    {
      g_autoptr (SluiceDictBuilder) builder = sluice_dict_builder_new ();
      g_autoptr (SluiceValue) dict = NULL;
      g_autoptr (SluiceValue) back = NULL;
      g_autoptr (SluiceValue) list = NULL;
      g_autoptr (SluiceValue) list_back = NULL;
      g_autoptr (SluiceListBuilder) items = sluice_list_builder_new ();

      for (size_t i = 0; i < n; i++)
        {
          /* Key i has i + 1 bytes, its value (n - i) * 3 % 23. */
          g_autofree char *key = g_strnfill (i + 1, (char) ('a' + i));
          g_autofree char *text = g_strnfill ((n - i) * 3 % 23, (char) ('A' + i));

          sluice_dict_builder_take (builder, key, sluice_value_new_string (text, -1));
          sluice_list_builder_take (items, sluice_value_new_string (text, -1));
        }
      dict = sluice_dict_builder_end (g_steal_pointer (&builder));
      back = round_trip (dict);
      list = sluice_list_builder_end (g_steal_pointer (&items));
      list_back = round_trip (list);
      {
        g_autofree char *a = sluice_value_to_json (dict);
        g_autofree char *b = sluice_value_to_json (back);
        g_autofree char *c = sluice_value_to_json (list);
        g_autofree char *e = sluice_value_to_json (list_back);

        assert_string_equal (a, b);
        assert_string_equal (c, e);
      }
    }
}

/* Text is validated as UTF-8 wherever its first non-ASCII byte sits: the decoder's and the
 * validator's ASCII shortcuts look at words, and a bad byte in any position of any length must
 * still be found, and a good one kept. */
static void
test_utf8_in_every_position (void **state)
{
  static const char *const bad_seqs[] = { "\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80" };
  static const char *const good_seqs[] = { "\xc3\xa6", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "" };

  for (size_t len = 1; len <= 24; len++)
    for (size_t at = 0; at < len; at++)
      for (int as_key = 0; as_key < 2; as_key++)
        for (size_t k = 0; k < G_N_ELEMENTS (bad_seqs); k++)
          for (int good = 0; good < 2; good++)
            {
              const char *seq = good ? good_seqs[k] : bad_seqs[k];
              g_autoptr (GByteArray) in = g_byte_array_new ();
              g_autoptr (GString) text = g_string_new (NULL);
              g_autoptr (GError) error = NULL;
              g_autoptr (SluiceValue) v = NULL;
              uint8_t head[] = { SLUICE_BINARY_FORMAT_1, 0x09, 0x01 }, tail[] = { 0x00 };
              uint8_t n;

              for (size_t i = 0; i < len; i++)
                {
                  if (i == at)
                    g_string_append (text, seq);
                  /* A NUL is valid text. */
                  g_string_append_c (text, i % 5 == 4 ? '\0' : (char) ('a' + i));
                }
              n = (uint8_t) text->len;
              /* {"<text>": null} or {"k": "<text>"}: the text last, or followed by a value. */
              g_byte_array_append (in, head, sizeof head);
              if (as_key)
                {
                  g_byte_array_append (in, &n, 1);
                  g_byte_array_append (in, (const uint8_t *) text->str, text->len);
                  g_byte_array_append (in, tail, 1);
                }
              else
                {
                  static const uint8_t key[] = { 0x01, 'k', 0x07 };

                  g_byte_array_append (in, key, sizeof key);
                  g_byte_array_append (in, &n, 1);
                  g_byte_array_append (in, (const uint8_t *) text->str, text->len);
                }
              v = sluice_binary_decode (in->data, in->len, &error);
              if (good)
                {
                  g_autoptr (GBytes) again = NULL;

                  if (v == NULL)
                    fail_msg ("length %zu, sequence %zu at %zu: %s", len, k, at, error->message);
                  again = sluice_binary_encode (v);
                  assert_int_equal (g_bytes_get_size (again), in->len);
                  assert_memory_equal (g_bytes_get_data (again, NULL), in->data, in->len);
                }
              else
                {
                  g_autofree char *expected = g_strdup_printf (
                    "invalid binary value at byte %d: %s is not valid UTF-8", as_key ? 3 : 6,
                    as_key ? "dict key" : "string");

                  if (v != NULL)
                    fail_msg ("length %zu, bad sequence %zu at %zu accepted", len, k, at);
                  assert_string_equal (error->message, expected);
                }
            }
}

/* Every truncation and every single-byte change of a valid encoding decodes or fails cleanly. */
static void
test_mutations_never_crash (void **state)
{
  g_autoptr (SluiceValue) v = sluice_value_from_json (samples[G_N_ELEMENTS (samples) - 1], -1, NULL);
  g_autoptr (GBytes) bytes = sluice_binary_encode (v);
  gsize len;
  const uint8_t *data = g_bytes_get_data (bytes, &len);
  g_autofree uint8_t *copy = g_memdup2 (data, len);

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr (GError) error = NULL;

      assert_null (sluice_binary_decode (data, cut, &error));
      assert_non_null (error);
    }
  for (gsize i = 0; i < len; i++)
    for (int b = 0; b < 256; b += 7)
      {
        g_autoptr (GError) error = NULL;
        SluiceValue *out;

        copy[i] = (uint8_t) b;
        out = sluice_binary_decode (copy, len, &error);
        assert_true ((out == NULL) != (error == NULL));
        g_clear_pointer (&out, sluice_value_unref);
        copy[i] = data[i];
      }
}

static void
test_depth_limit (void **state)
{
  g_autoptr (GByteArray) deep = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  uint8_t format = SLUICE_BINARY_FORMAT_1, list1[] = { 0x08, 0x01 }, null = 0x00;

  g_byte_array_append (deep, &format, 1);
  for (int i = 0; i < SLUICE_BINARY_MAX_DEPTH + 1; i++)
    g_byte_array_append (deep, list1, 2);
  g_byte_array_append (deep, &null, 1);
  assert_null (sluice_binary_decode (deep->data, deep->len, &error));
  assert_string_equal (error->message, "invalid binary value at byte 2051: nested deeper than 1024 levels");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_round_trips),
    cmocka_unit_test (test_layout),
    cmocka_unit_test (test_pinned_bytes),
    cmocka_unit_test (test_corrupt_input),
    cmocka_unit_test (test_utf8_in_every_position),
    cmocka_unit_test (test_text_lengths),
    cmocka_unit_test (test_mutations_never_crash),
    cmocka_unit_test (test_depth_limit),
  };

  return cmocka_run_group_tests_name ("binary", tests, NULL, NULL);
}
