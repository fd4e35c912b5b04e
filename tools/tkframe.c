/* tkframe: craft and read tinykv frames by hand.
 *
 *   tkframe encode [--hello] [--hex|--force] [JSON...]
 *                        JSON envelopes (arguments, or stdin) -> frames on stdout
 *   tkframe decode [--hex]               frames on stdin -> one JSON line each on stdout
 *
 * encode parses every envelope before it writes a byte, so bad JSON is
 * reported alone, never after half a stream of frames; and it writes binary
 * to a terminal only with --force (--hex prints the frames as hex text).
 * so that `tkframe encode --hello '{"t":"raw_get","id":1,"b":{"k":"a"}}' |
 * nc -N 127.0.0.1 PORT | tkframe decode` talks to a daemon.  The conversion is
 * generic (codec/json.h): any msgpack, not only known messages, so malformed
 * requests can be crafted too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec/codec.h"
#include "codec/json.h"

static const char hello_json[] =
	"{\"t\":\"hello\",\"id\":0,\"b\":{\"proto\":2,\"role\":\"client\",\"name\":\"tkframe\"}}";

static int usage(FILE *out)
{
	fprintf(out, "usage: tkframe encode [--hello] [--hex | --force] [JSON...]\n"
		     "       tkframe decode [--hex]\n"
		     "encode: each JSON envelope (from the arguments, or all of stdin) becomes one frame\n"
		     "        on stdout; --hello sends a client hello first.  Bytes: {\"$b\":\"text\"} or\n"
		     "        {\"$hex\":\"00ff\"}.  Nothing is written unless every envelope parses.\n"
		     "        Frames are binary: on a terminal, --hex prints one line of hex per frame,\n"
		     "        --force writes the bytes anyway.\n"
		     "decode: reads frames from stdin, prints one JSON line per frame (--hex: also the\n"
		     "        frame bytes in hex on the line before).\n");
	return out == stdout ? 0 : 2;
}

/* What encode reads from stdin at most: the JSON of several of the largest
 * frames (16 MiB each, twice that as hex). */
#define ENCODE_MAX_STDIN (256u << 20)

static int encode_doc(struct tk_slice json, size_t *used, struct tk_buf *out)
{
	struct tk_errbuf eb;
	size_t start = out->len;
	tk_buf_append(out, "\0\0\0\0", 4);
	if (tk_json_to_msgpack(json, used, out, &eb) != TK_OK) {
		fprintf(stderr, "tkframe: %s\n", eb.msg);
		return 1;
	}
	tk_put_be32(out->data + start, (uint32_t)(out->len - start - 4));
	return 0;
}

/* Write the frames of out (whole frames, back to back) as hex, one a line. */
static bool write_hex(const struct tk_buf *out)
{
	for (size_t off = 0; off + 4 <= out->len;) {
		size_t n = 4 + tk_get_be32(out->data + off);
		for (size_t i = 0; i < n; i++)
			printf("%02x", out->data[off + i]);
		printf("\n");
		off += n;
	}
	return fflush(stdout) == 0;
}

static int encode(int argc, char **argv)
{
	struct tk_buf out, in;
	tk_buf_init(&out);
	tk_buf_init(&in);
	int i = 0, rc = 0;
	bool hex = false, force = false;
	size_t used;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--hello") == 0)
			encode_doc(tk_slice_str(hello_json), &used, &out);
		else if (strcmp(argv[i], "--hex") == 0)
			hex = true;
		else if (strcmp(argv[i], "--force") == 0)
			force = true;
		else
			break;
	}
	if (i < argc) {
		for (; i < argc && !rc; i++)
			rc = encode_doc(tk_slice_str(argv[i]), &used, &out);
	} else {
		struct tk_errbuf eb;
		if (tk_buf_read_fd(&in, STDIN_FILENO, ENCODE_MAX_STDIN, &eb) != TK_OK) {
			fprintf(stderr, "tkframe: reading stdin: %s\n", eb.msg);
			rc = 1;
		}
		size_t off = 0;
		while (off < in.len && !rc) {
			while (off < in.len && strchr(" \t\r\n", in.data[off]))
				off++;
			if (off == in.len)
				break;
			rc = encode_doc(tk_slice_of(in.data + off, in.len - off), &used, &out);
			off += used;
		}
	}
	/* all or nothing: a bad envelope anywhere leaves stdout empty */
	if (!rc && !hex && !force && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "tkframe: not writing binary frames to a terminal: pipe them (into nc,\n"
				"  tkframe decode or a file), or use --hex to see them, or --force\n");
		rc = 1;
	} else if (!rc && hex)
		rc = write_hex(&out) ? 0 : 1;
	else if (!rc && fwrite(out.data, 1, out.len, stdout) != out.len)
		rc = 1;
	tk_buf_destroy(&out);
	tk_buf_destroy(&in);
	return rc;
}

static int decode(int argc, char **argv)
{
	bool hex = argc > 0 && strcmp(argv[0], "--hex") == 0;
	struct tk_buf in, json;
	tk_buf_init(&in);
	tk_buf_init(&json);
	int rc = 0;
	/* frames are printed as they arrive, so it works in a live pipe */
	for (;;) {
		uint32_t n;
		enum tk_frame_status st = tk_frame_peek(in.data, in.len, TK_MAX_FRAME_LIMIT, &n);
		if (st == TK_FRAME_TOO_LARGE) {
			fprintf(stderr, "tkframe: frame length %u is above the 16 MiB limit "
					"(not a tinykv frame stream?)\n", n);
			rc = 1;
			break;
		}
		if (st == TK_FRAME_READY) {
			struct tk_errbuf eb;
			tk_buf_reset(&json);
			if (hex) {
				for (uint32_t i = 0; i < n + 4; i++)
					printf("%02x", in.data[i]);
				printf("\n");
			}
			if (tk_msgpack_to_json(tk_slice_of(in.data + 4, n), &json, &eb) != TK_OK) {
				fprintf(stderr, "tkframe: frame of %u bytes: %s\n", n, eb.msg);
				rc = 1;
			} else {
				printf("%.*s\n", (int)json.len, (const char *)json.data);
			}
			fflush(stdout);
			memmove(in.data, in.data + 4 + n, in.len - 4 - n);
			in.len -= 4 + n;
			continue;
		}
		char tmp[65536];
		ssize_t got = read(0, tmp, sizeof tmp);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (in.len) {
				fprintf(stderr, "tkframe: %zu bytes of an incomplete frame at end of input\n",
					in.len);
				rc = 1;
			}
			break;
		}
		tk_buf_append(&in, tmp, (size_t)got);
	}
	tk_buf_destroy(&in);
	tk_buf_destroy(&json);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "encode") == 0)
		return encode(argc - 2, argv + 2);
	if (strcmp(argv[1], "decode") == 0)
		return decode(argc - 2, argv + 2);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout);
	return usage(stderr);
}
