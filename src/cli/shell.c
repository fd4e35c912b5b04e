/* tinykv-cli line input: the interactive shell (libedit, with history and
 * completion) and the non-interactive reader for pipes.  Both split lines
 * with the shared quoting rules (util/quote.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* ppoll */
#endif
#include <editline/readline.h>
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "cli/cli.h"
#include "util/quote.h"

#define MAX_ARGS 100000
#define HISTORY_LINES 1000

/* Run one text line; returns its status (CLI_OK for blank and comment
 * lines, which set *ran false). */
static int run_line(struct cli *c, struct tk_args *args, const char *line, size_t len, bool *ran)
{
	const char *why = NULL;
	*ran = true;
	if (!tk_split_args(line, len, args, MAX_ARGS, &why))
		return cli_usage_error(c, NULL, "cannot parse the line: %s", why);
	if (args->argc == 0 || (args->argv[0].len && args->argv[0].data[0] == '#')) {
		*ran = false;
		return CLI_OK;
	}
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
		bool ran;
		int st = run_line(c, &args, line, (size_t)n, &ran);
		if (st > worst)
			worst = st;
	}
	free(line);
	tk_args_destroy(&args);
	return worst;
}

/* ---- interactive ----------------------------------------------------------- */

/* Ctrl-C.  libedit's own signal handling (rl_catch_signals) would restore
 * the default action and re-send the signal with kill(0, ...) to the whole
 * process group: the shell would die, and so would a parent script and any
 * daemon it started in the same group (tools/run-local.sh).  So the shell
 * catches SIGINT itself: the handler only sets this flag, and the input
 * function below ends the line being typed when it sees it. */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* libedit's input function (rl_getc_function): one character, decoded with
 * the locale as libedit's own reader does, or EOF at end of input, on an
 * error, or when Ctrl-C was pressed.  SIGINT stays blocked except inside
 * ppoll, so a Ctrl-C between the flag test and the wait cannot be lost. */
static int read_char(FILE *f)
{
	int fd = fileno(f), ret = EOF;
	sigset_t block, orig;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigdelset(&orig, SIGINT);
	mbstate_t mbs;
	memset(&mbs, 0, sizeof mbs);
	while (!interrupted) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (ppoll(&p, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		char ch;
		ssize_t n = read(fd, &ch, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		wchar_t wc;
		size_t k = mbrtowc(&wc, &ch, 1, &mbs);
		if (k == (size_t)-2)
			continue; /* more bytes of the character to come */
		if (k == (size_t)-1) {
			memset(&mbs, 0, sizeof mbs); /* not in the locale's charset: dropped */
			continue;
		}
		ret = k == 0 ? 0 : (int)wc;
		break;
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return ret;
}

/* Completion: the candidates come from complete.c; libedit's readline
 * emulation wants them through a generator. */
static char **cands;
static size_t cand_next;

static char *next_cand(const char *text, int state)
{
	(void)text;
	if (state == 0)
		cand_next = 0;
	if (!cands || !cands[cand_next])
		return NULL;
	return strdup(cands[cand_next++]);
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1; /* never fall back to file names */
	if (start < 0 || (size_t)start > strlen(rl_line_buffer))
		return NULL;
	cands = cli_complete(rl_line_buffer, (size_t)start, text);
	char **m = rl_completion_matches(text, next_cand);
	cli_complete_free(cands);
	cands = NULL;
	return m;
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
	struct sigaction sa, old_sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART: a Ctrl-C while a command runs must not fail its
	 * system calls; the wait for input above is a ppoll, which the signal
	 * interrupts anyway */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, &old_sa);
	setlocale(LC_CTYPE, ""); /* UTF-8 input and display on a UTF-8 terminal */

	rl_readline_name = "tinykv-cli";
	rl_catch_signals = 0; /* read by the first call below (rl_initialize) */
	rl_getc_function = read_char;
	rl_attempted_completion_function = complete;
	rl_basic_word_break_characters = " \t";
	using_history();
	stifle_history(HISTORY_LINES);
	char *hist = history_path();
	if (hist)
		read_history(hist);
	char prompt[300];
	struct tk_args args;
	tk_args_init(&args);
	int last = CLI_OK;
	while (!c->quit) {
		/* an open transaction shows in the prompt */
		if (c->txn)
			snprintf(prompt, sizeof prompt, "%s (txn %llu)> ", c->cfg.address,
				 (unsigned long long)tkv_txn_start_ts(c->txn));
		else
			snprintf(prompt, sizeof prompt, "%s> ", c->cfg.address);
		interrupted = 0; /* a Ctrl-C while the last command ran is forgotten */
		char *line = readline(prompt);
		if (interrupted) {
			/* Ctrl-C: drop what was typed, and a fresh prompt */
			free(line);
			fputs("^C\n", c->out);
			fflush(c->out);
			continue;
		}
		if (!line) {
			fputc('\n', c->out); /* Ctrl-D */
			break;
		}
		size_t len = strlen(line);
		if (len) {
			add_history(line);
			if (hist)
				write_history(hist);
		}
		bool ran;
		int st = run_line(c, &args, line, len, &ran);
		/* the status on leaving is the last command's, not quit's */
		if (ran && !c->quit)
			last = st;
		free(line);
	}
	tk_args_destroy(&args);
	free(hist);
	sigaction(SIGINT, &old_sa, NULL);
	return last;
}
