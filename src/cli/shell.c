/* tinykv-cli line input: the interactive shell (libedit, with history and
 * command-name completion) and the non-interactive reader for pipes.  Both
 * split lines with the shared quoting rules (util/quote.h). */
#include <editline/readline.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/quote.h"

#define MAX_ARGS 100000
#define HISTORY_LINES 1000

/* Run one text line; returns its status (CLI_OK for blank and comment lines). */
static int run_line(struct cli *c, struct tk_args *args, const char *line, size_t len)
{
	const char *why = NULL;
	if (!tk_split_args(line, len, args, MAX_ARGS, &why))
		return cli_usage_error(c, NULL, "cannot parse the line: %s", why);
	if (args->argc == 0 || (args->argv[0].len && args->argv[0].data[0] == '#'))
		return CLI_OK;
	struct tk_slice *argv = malloc(args->argc * sizeof *argv);
	if (!argv)
		return cli_usage_error(c, NULL, "out of memory");
	for (size_t i = 0; i < args->argc; i++)
		argv[i] = tk_slice_of(args->argv[i].len ? (const void *)args->argv[i].data : "",
				      args->argv[i].len);
	int st = cli_run(c, argv, args->argc);
	free(argv);
	return st;
}

int cli_pipe(struct cli *c, FILE *in)
{
	struct tk_args args;
	tk_args_init(&args);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int worst = CLI_OK;
	while (!c->quit && (n = getline(&line, &cap, in)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		int st = run_line(c, &args, line, (size_t)n);
		if (st > worst)
			worst = st;
	}
	free(line);
	tk_args_destroy(&args);
	return worst;
}

/* ---- interactive ----------------------------------------------------------- */

static char *complete_name(const char *text, int state)
{
	static size_t idx; /* readline's generator protocol keeps state between calls */
	if (state == 0)
		idx = 0;
	size_t len = strlen(text);
	const struct cli_cmd *cmd;
	while ((cmd = cli_cmd_nth(idx++))) {
		if (strncmp(cmd->name, text, len) == 0)
			return strdup(cmd->name);
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1; /* never fall back to file names */
	if (start != 0)
		return NULL;
	return rl_completion_matches(text, complete_name);
}

static char *history_path(void)
{
	const char *home = getenv("HOME");
	if (!home || !*home)
		return NULL;
	size_t n = strlen(home) + sizeof "/.tinykv_history";
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/.tinykv_history", home);
	return p;
}

int cli_shell(struct cli *c)
{
	rl_readline_name = "tinykv-cli";
	rl_attempted_completion_function = complete;
	using_history();
	stifle_history(HISTORY_LINES);
	char *hist = history_path();
	if (hist)
		read_history(hist);
	char prompt[300];
	struct tk_args args;
	tk_args_init(&args);
	int worst = CLI_OK;
	while (!c->quit) {
		/* an open transaction shows in the prompt */
		if (c->txn)
			snprintf(prompt, sizeof prompt, "%s (txn %llu)> ", c->cfg.address,
				 (unsigned long long)tkv_txn_start_ts(c->txn));
		else
			snprintf(prompt, sizeof prompt, "%s> ", c->cfg.address);
		char *line = readline(prompt);
		if (!line) {
			fputc('\n', c->out);
			break;
		}
		size_t len = strlen(line);
		if (len) {
			add_history(line);
			if (hist)
				write_history(hist);
		}
		int st = run_line(c, &args, line, len);
		if (st > worst)
			worst = st;
		free(line);
	}
	tk_args_destroy(&args);
	free(hist);
	return worst;
}
