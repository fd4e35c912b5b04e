/* tinykv-cli shell completion: which words may come next on a line.
 *
 * Pure: it reads the command tables (their `complete` specs) and the text
 * typed so far, and never talks to a server, so Tab is instant and a unit
 * test covers it without a terminal.  shell.c hands the result to libedit. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/quote.h"

struct cands {
	char **v;
	size_t n, cap;
	bool oom;
};

static void add(struct cands *c, const char *s, size_t n)
{
	if (c->oom)
		return;
	for (size_t i = 0; i < c->n; i++) /* a name and an alias may repeat */
		if (strlen(c->v[i]) == n && memcmp(c->v[i], s, n) == 0)
			return;
	if (c->n + 2 > c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		char **v = realloc(c->v, cap * sizeof *v);
		if (!v) {
			c->oom = true;
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	char *d = strndup(s, n);
	if (!d) {
		c->oom = true;
		return;
	}
	c->v[c->n++] = d;
	c->v[c->n] = NULL;
}

static bool has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t p = strlen(prefix);
	return n >= p && memcmp(s, prefix, p) == 0;
}

/* The spec words of cmd that fit argument position pos (1-based) after the
 * argument prev (the one before, or NULL at position 1). */
static void from_spec(struct cands *c, const struct cli_cmd *cmd, size_t pos,
                      const struct tk_buf *prev, const char *word)
{
	const char *s = cmd->complete;
	if (word[0] == '-' && pos == 1)
		add(c, "--help", strlen("--help"));
	if (!s)
		return;
	while (*s) {
		size_t n = strcspn(s, " ");
		const char *slash = memchr(s, '/', n);
		const char *w = s;
		size_t wn = n;
		bool fits;
		if (s[0] == '-') {
			fits = word[0] == '-';
		} else if (slash) {
			w = slash + 1;
			wn = n - (size_t)(w - s);
			fits = pos == 2 && prev && prev->len == (size_t)(slash - s) &&
			       memcmp(prev->data, s, prev->len) == 0;
		} else {
			fits = pos == 1;
		}
		if (fits && has_prefix(w, wn, word))
			add(c, w, wn);
		s += n;
		while (*s == ' ')
			s++;
	}
}

static struct tk_slice arg(const struct tk_args *a, size_t i)
{
	return tk_slice_of(a->argv[i].len ? (const void *)a->argv[i].data : "", a->argv[i].len);
}

char **cli_complete(const char *line, size_t start, const char *word)
{
	struct cands c = {.cap = 16};
	c.v = calloc(c.cap, sizeof *c.v); /* NULL-terminated even when nothing matches */
	if (!c.v)
		return NULL;

	struct tk_args args;
	tk_args_init(&args);
	const char *why;
	/* an open quote before the word: nothing sensible to offer */
	if (!tk_split_args(line, start, &args, 64, &why))
		goto out;
	if (args.argc == 0 ||
	    (args.argc == 1 && tk_slice_eq(arg(&args, 0), tk_slice_str("help")))) {
		const struct cli_cmd *cmd;
		for (size_t i = 0; (cmd = cli_cmd_nth(i)); i++)
			if (has_prefix(cmd->name, strlen(cmd->name), word))
				add(&c, cmd->name, strlen(cmd->name));
		goto out;
	}
	const struct cli_cmd *cmd = cli_find(arg(&args, 0));
	if (cmd)
		from_spec(&c, cmd, args.argc, args.argc >= 2 ? &args.argv[1] : NULL, word);
out:
	tk_args_destroy(&args);
	if (c.oom) {
		cli_complete_free(c.v);
		return NULL;
	}
	return c.v;
}

void cli_complete_free(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}
