/* test-binary-samples.h — representative values whose binary form and content hashes are pinned
 * (tests/unit/test-binary.c, tests/unit/test-hash.c).
 *
 * Stored datasets depend on both: a changed byte of the binary form makes stored bodies unreadable
 * by older builds, a changed hash makes every stored entity look changed.  The expected figures were
 * computed before the encoder and the hash were optimized (2026-11), and every later change must
 * keep them.  The binary form is pinned by its length and the XXH3-128 of its bytes, and the
 * standard entity also byte by byte (test-binary.c).
 */
#pragma once

#include <stddef.h>
#include <xxhash.h>

#include "sluice-hash.h"

/* The XXH3-128 of @data as 32 hexadecimal characters (canonical byte order); g_free it. */
static inline char *
xxh3_hex (const void *data, size_t len)
{
  XXH128_canonical_t canonical;
  char *hex = g_malloc (33);

  XXH128_canonicalFromHash (&canonical, XXH3_128bits (data, len));
  sluice_hash_to_hex (canonical.digest, hex);
  return hex;
}

typedef struct
{
  const char *note;
  const char *json;
  size_t binary_len;
  const char *binary_xxh3; /* XXH3-128 (canonical, hex) of the encoded bytes */
  const char *value_hash;  /* sluice_hash_value () */
  const char *entity_hash; /* sluice_hash_entity_body (); NULL when the value is not a dict */
} PinnedSample;

static const PinnedSample pinned_samples[] = {
  { "the standard entity (bench/gen_entities.py 1 42)",
    "{\"_id\":\"person-0\",\"name\":\"Kari Nordmann\",\"email\":\"user0@example.org\",\"age\":53,\"updated\":\"2026-04-08T12:00:00Z\",\"address\":{\"street\":\"Street 36\",\"zip\":\"2679\",\"city\":\"Trondheim\"},\"tags\":[\"f\",\"e\",\"a\"],\"score\":59.049}",
    183, "83c85d1841070d4a8a36b24c85257110",
    "91a63ef9e68d450a97ae005bafe8233a", "91a63ef9e68d450a97ae005bafe8233a" },
  { "the standard transform's output",
    "{\"_id\":\"person-0\",\"type\":\"customer\",\"name\":\"KARI NORDMANN\",\"mail\":\"user0@example.org\",\"age\":53,\"city\":\"Trondheim\"}",
    98, "7472744ee03df90b325936caeba163c6",
    "cdd495aea6aed373616e74c5bc349191", "cdd495aea6aed373616e74c5bc349191" },
  { "an entity with reserved fields and a deletion",
    "{\"_id\":\"x:1\",\"_deleted\":true,\"_updated\":17,\"_ts\":1700000000000000,\"_hash\":\"h\",\"b\":{\"_z\":1,\"_id\":2},\"a\":[]}",
    74, "9fa007fae32b46469c357513525b4ad8",
    "a16b31c6105557da0df1bccd752083e7", "ccf1b9810d2cecc9d58593f2e5b2a621" },
  { "every scalar type",
    "[null,true,false,0,1,63,64,127,128,255,256,-1,-64,-65,16383,16384,-8193,2147483648,9223372036854775807,-9223372036854775808,1.5,-0.0,0.0,1e300,-2.5e-300,\"~f-12.50\",\"~f0\",\"~f1.0e5\",123456789012345678901234567890,-98765432109876543210987654321,\"\",\"a\",\"\\u0000\",\"a\\u0000b\\ud83d\\ude00\\u00e6\\u00f8\\u00e5\",\"~t2015-01-02T03:04:05.123456789Z\",\"~t0001-01-01\",\"~t9999-12-31\",\"~t1969-12-31T23:59:59Z\",\"~t2026-04-08T12:00:00Z\",\"~:ns:1\",\"~rhttp://x/\",\"~bAAECAwQF\",\"~b\",\"~u531a379e-31bb-4ce1-8690-158dceb64be6\",\"~u00000000-0000-0000-0000-000000000000\"]",
    314, "e1dd4f9cb9dadf7978893a695ee58be5",
    "8d681d5d9b9adea60a1ee9edf47aab32", NULL },
  { "a string whose length takes a two-byte varint",
    "\"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\\u00e6\"",
    136, "fc866ab3a19bd5e604f17be0020085c0",
    "f9bf48832d8e7e0314ddf899a046fe86", NULL },
  { "a list of 130 elements",
    "[-65,-64,-63,-62,-61,-60,-59,-58,-57,-56,-55,-54,-53,-52,-51,-50,-49,-48,-47,-46,-45,-44,-43,-42,-41,-40,-39,-38,-37,-36,-35,-34,-33,-32,-31,-30,-29,-28,-27,-26,-25,-24,-23,-22,-21,-20,-19,-18,-17,-16,-15,-14,-13,-12,-11,-10,-9,-8,-7,-6,-5,-4,-3,-2,-1,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64]",
    266, "3ed5799e5bdbfd22a4f30138dafc309b",
    "1d4d37475b9d6362ed702034d868cd0e", NULL },
  { "keys that share prefixes, NULs and non-ASCII bytes",
    "{\"ab\":1,\"ab\\u0000\":2,\"abc\":3,\"a\":4,\"\":5,\"b\":6,\"abcdefgh\":7,\"abcdefgi\":8,\"abcd\":9,\"\\u00e6\":10,\"z\\u00ff\":11,\"Z\":12,\"abcdefg\":13,\"abce\":14}",
    92, "7ab9954c8432752eb1b6ee9e6bdd3161",
    "9b1bfe7e46044ae4ae0c87a7276ace85", "9b1bfe7e46044ae4ae0c87a7276ace85" },
  { "keys already in order",
    "{\"a\":1,\"b\":{\"c\":[1,{\"d\":null,\"e\":\"f\"}]},\"c\":2.5}",
    38, "ec833e24be0eed9af8d49d361bfd4f7b",
    "0c320d2ff5df07d35bb84fce24fd251e", "0c320d2ff5df07d35bb84fce24fd251e" },
  { "a dict of 20 keys (indexed)",
    "{\"k00\":0,\"k07\":1,\"k14\":2,\"k01\":3,\"k08\":4,\"k15\":5,\"k02\":6,\"k09\":7,\"k16\":8,\"k03\":9,\"k10\":10,\"k17\":11,\"k04\":12,\"k11\":13,\"k18\":14,\"k05\":15,\"k12\":16,\"k19\":17,\"k06\":18,\"k13\":19}",
    123, "0d83a7c328b7be6bc6fa2f6d2bb6c590",
    "e92cf81f255062e7b529d77727194f5c", "e92cf81f255062e7b529d77727194f5c" },
  { "a dict of 40 keys (more than the hash's scratch)",
    "{\"key-0\":[0],\"key-13\":[1],\"key-26\":[2],\"key-39\":[3],\"key-12\":[4],\"key-25\":[5],\"key-38\":[6],\"key-11\":[7],\"key-24\":[8],\"key-37\":[9],\"key-10\":[10],\"key-23\":[11],\"key-36\":[12],\"key-9\":[13],\"key-22\":[14],\"key-35\":[15],\"key-8\":[16],\"key-21\":[17],\"key-34\":[18],\"key-7\":[19],\"key-20\":[20],\"key-33\":[21],\"key-6\":[22],\"key-19\":[23],\"key-32\":[24],\"key-5\":[25],\"key-18\":[26],\"key-31\":[27],\"key-4\":[28],\"key-17\":[29],\"key-30\":[30],\"key-3\":[31],\"key-16\":[32],\"key-29\":[33],\"key-2\":[34],\"key-15\":[35],\"key-28\":[36],\"key-1\":[37],\"key-14\":[38],\"key-27\":[39]}",
    433, "4469d6d5951d60910480937e949f9a5f",
    "25ee5c645f5cb87fd283c1bc0228592f", "25ee5c645f5cb87fd283c1bc0228592f" },
  { "nested containers",
    "{\"x\":[[],{},[[1]],{\"y\":{\"z\":[{\"\":\"\"}]}}],\"_id\":\"n\"}",
    39, "135285d57fecdcdf0fdb85521bc07222",
    "77135d004c187950f7cb5a056c974906", "77135d004c187950f7cb5a056c974906" },
  { "an entity whose _deleted is not true",
    "{\"_deleted\":false,\"_id\":\"a\",\"name\":\"A\"}",
    28, "cf34ba519155f7c577c1e6b6154f703c",
    "3edc448c720c5cf1f7e7a7f5ea14585f", "6b9e4a0f27350e81c6b6cdf627169ac4" },
  { "a decimal that normalizes",
    "{\"_id\":\"d\",\"v\":\"~f1.50\",\"w\":\"~f-0.000\",\"u\":\"~f100\"}",
    35, "4bbc6642629c7d532eeb11531641c234",
    "98356474df04ec88584b598428f8d5b2", "98356474df04ec88584b598428f8d5b2" },
  { "an indexed entity with reserved fields and a deletion",
    "{\"f00\":0,\"f07\":1,\"f14\":2,\"f03\":3,\"f10\":4,\"f17\":5,\"f06\":6,\"f13\":7,\"f02\":8,\"f09\":9,\"f16\":10,\"f05\":11,\"f12\":12,\"f01\":13,\"f08\":14,\"f15\":15,\"f04\":16,\"f11\":17,\"_id\":\"big\",\"_deleted\":true,\"_ts\":5,\"_updated\":3}",
    147, "ac82721f77e1a1583b2a7897d76c8fac",
    "2d2008ce29d997db5ba3406f29c07f1c", "f575d144379b3786b0648a8e5792ee90" },
  { "an entity of 42 keys, some reserved, not deleted",
    "{\"_f0\":{\"n\":0},\"f1\":{\"n\":1},\"f2\":{\"n\":2},\"f3\":{\"n\":3},\"f4\":{\"n\":4},\"_f5\":{\"n\":5},\"f6\":{\"n\":6},\"f7\":{\"n\":7},\"f8\":{\"n\":8},\"f9\":{\"n\":9},\"_f10\":{\"n\":10},\"f11\":{\"n\":11},\"f12\":{\"n\":12},\"f13\":{\"n\":13},\"f14\":{\"n\":14},\"_f15\":{\"n\":15},\"f16\":{\"n\":16},\"f17\":{\"n\":17},\"f18\":{\"n\":18},\"f19\":{\"n\":19},\"_f20\":{\"n\":20},\"f21\":{\"n\":21},\"f22\":{\"n\":22},\"f23\":{\"n\":23},\"f24\":{\"n\":24},\"_f25\":{\"n\":25},\"f26\":{\"n\":26},\"f27\":{\"n\":27},\"f28\":{\"n\":28},\"f29\":{\"n\":29},\"_f30\":{\"n\":30},\"f31\":{\"n\":31},\"f32\":{\"n\":32},\"f33\":{\"n\":33},\"f34\":{\"n\":34},\"_f35\":{\"n\":35},\"f36\":{\"n\":36},\"f37\":{\"n\":37},\"f38\":{\"n\":38},\"f39\":{\"n\":39},\"_deleted\":\"yes\",\"_id\":\"big2\"}",
    425, "33e051139290df2cb794a7e99f3623a2",
    "0bf752a00918c1372000327b8075d239", "df13d2c02bc38082867ce221a9b63887" },
};
