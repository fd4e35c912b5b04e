/* Generic msgpack <-> JSON conversion, for the frame tool (tools/tkframe) and
 * the golden vectors in proto-spec/golden.
 *
 * JSON has no byte strings, so msgpack bin is written as an object with one
 * key: {"$b": "text"} when every byte is printable ASCII, else
 * {"$hex": "00ff..."}; both forms are accepted on input.  A plain JSON string
 * becomes msgpack str (which the codec accepts wherever it expects bin).
 * Output is compact and canonical (no spaces, map order kept), so a frame
 * decoded to JSON and encoded again gives the same bytes. */
#ifndef TK_CODEC_JSON_H
#define TK_CODEC_JSON_H

#include "util/bytes.h"
#include "util/err.h"

/* Append the msgpack encoding of one JSON document to out.  *consumed is how
 * many bytes of json were used (whitespace after the value included), so
 * several documents can follow each other.  TK_E_BAD_REQUEST on bad JSON. */
enum tk_err tk_json_to_msgpack(struct tk_slice json, size_t *consumed, struct tk_buf *out,
			       struct tk_errbuf *eb);

/* Append one msgpack value as JSON text to out; TK_E_BAD_REQUEST when the
 * msgpack is malformed or has trailing bytes.  A map key that is not a str
 * becomes a JSON string holding its JSON text ({1: 2} -> {"1":2}); an array
 * or map key inside such a key is refused, since every level would double
 * the escapes and the output could grow exponentially with the input. */
enum tk_err tk_msgpack_to_json(struct tk_slice mp, struct tk_buf *out, struct tk_errbuf *eb);

#endif
