/* dtl-decimal.h — exact decimal arithmetic for DTL math on decimals and on integers that
 * overflow 64 bits (DTL integers are unbounded, digest §1.4).
 *
 * The SDK stores decimals but does no arithmetic on them, so the plugin carries its own small
 * base-10 implementation: + - * are exact, / and % keep 28 significant digits (Python's default
 * decimal context).  Speed is not a concern here: the common integer and float cases never get
 * this far.
 */
#pragma once

#include <sluice-plugin-sdk.h>

G_BEGIN_DECLS

typedef struct
{
  int sign;        /* -1, 0 or 1 */
  GString *digits; /* most significant first, no leading zeros; empty for zero */
  int64_t exp;     /* value = sign × digits × 10^exp */
} DtlDecimal;

/* From an INTEGER, FLOAT (its shortest text) or DECIMAL; FALSE for other kinds and non-finite
 * floats. */
gboolean sluice_dtl_decimal_from_value (DtlDecimal *d, const SluiceValue *v);
gboolean sluice_dtl_decimal_parse (DtlDecimal *d, const char *text, size_t len);
void sluice_dtl_decimal_clear (DtlDecimal *d);
void sluice_dtl_decimal_add (DtlDecimal *ret, const DtlDecimal *a, const DtlDecimal *b, gboolean sub);
void sluice_dtl_decimal_mul (DtlDecimal *ret, const DtlDecimal *a, const DtlDecimal *b);
/* FALSE when @b is zero. */
gboolean sluice_dtl_decimal_div (DtlDecimal *ret, const DtlDecimal *a, const DtlDecimal *b);
/* Plain notation ("-12.50"). */
char *sluice_dtl_decimal_to_string (const DtlDecimal *d);
/* A DECIMAL value; @as_integer: an INTEGER when it fits, else a big integer. */
SluiceValue *sluice_dtl_decimal_to_value (const DtlDecimal *d, gboolean as_integer);
/* Rounds to @digits places after the point; @mode: 'e' half-even, 'c' ceiling, 'f' floor. */
void sluice_dtl_decimal_quantize (DtlDecimal *d, int64_t digits, char mode);

G_END_DECLS
