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
    cmocka_unit_test (test_corrupt_input),
    cmocka_unit_test (test_mutations_never_crash),
    cmocka_unit_test (test_depth_limit),
  };

  return cmocka_run_group_tests_name ("binary", tests, NULL, NULL);
}
