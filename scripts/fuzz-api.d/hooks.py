# Hooks for scripts/fuzz-api (loaded with SCHEMATHESIS_HOOKS=hooks).
import schemathesis


# Schemathesis has no serializer for message/rfc822 (the APPEND body). Send the generated
# string as-is; random strings are mostly not RFC 5322, which Dovecot still stores.
@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if isinstance(value, bytes):
        return {"data": value}
    return {"data": str(value).encode("utf-8", "surrogatepass")}


def _integral_floats_to_ints(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_to_ints(v) for v in value]
    if isinstance(value, dict):
        return {k: _integral_floats_to_ints(v) for k, v in value.items()}
    return value


# JSON Schema counts 2478.0 as an integer; serde's u32 does not (422 "invalid type: floating
# point"). Send integral numbers as JSON integers (the same values, never a negative case).
@schemathesis.hook
def map_body(ctx, body):
    return _integral_floats_to_ints(body)
