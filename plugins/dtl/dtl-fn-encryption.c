/* dtl-fn-encryption.c — the encryption functions (digest §11.7 "Encryption") and phone numbers.
 *
 * None of them can be offered faithfully with the libraries this project may use: Sesam's
 * `encrypt`/`decrypt` are Fernet with an undocumented key derivation (so tokens would not
 * interoperate), the PGP and PKI variants need OpenPGP/RSA-OAEP support that no chosen dependency
 * provides, and phone number parsing needs libphonenumber's metadata (a C++ library).  They are
 * known names, so configuring one is a clear load-time error rather than "unknown function".
 */
#include "dtl-compiler.h"

#define CRYPTO_REASON "no encryption library is part of this build (see docs/dtl.md)"
#define PHONE_REASON "phone number metadata (libphonenumber) is not part of this build (see docs/dtl.md)"

const DtlFunction sluice_dtl_fn_encryption[] = {
  { "encrypt", 2, 2, DTL_FN_UNSUPPORTED, NULL, NULL, NULL, CRYPTO_REASON },
  { "decrypt", 2, 2, DTL_FN_UNSUPPORTED, NULL, NULL, NULL, CRYPTO_REASON },
  { "encrypt-pgp", 2, 2, DTL_FN_UNSUPPORTED, NULL, NULL, NULL, CRYPTO_REASON },
  { "decrypt-pgp", 3, 3, DTL_FN_UNSUPPORTED, NULL, NULL, NULL, CRYPTO_REASON },
  { "encrypt-pki", 2, 2, DTL_FN_UNSUPPORTED, NULL, NULL, NULL, CRYPTO_REASON },
  { "decrypt-pki", 2, 2, DTL_FN_UNSUPPORTED, NULL, NULL, NULL, CRYPTO_REASON },
  { "phonenumber-parse", 1, 2, DTL_FN_UNSUPPORTED, NULL, NULL, NULL, PHONE_REASON },
  { "phonenumber-format", 2, 2, DTL_FN_UNSUPPORTED, NULL, NULL, NULL, PHONE_REASON },
  { NULL },
};
