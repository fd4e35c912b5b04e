/* tinykv-cli: shared state of the command-line client.
 *
 * The command table (cmds.c) is data: each row names a command, its argument
 * synopsis, its help text and its handler, so later features (transactions,
 * admin commands) are new rows.  Handlers get the arguments as byte slices
 * (binary-safe) and return an exit status (enum cli_status). */
#ifndef TK_CLI_CLI_H
#define TK_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tinykv.h"
#include "tinykv_txn.h"
#include "tinykv_sched.h"
#include "util/bytes.h"

/* Exit statuses; in pipe and shell mode the process exits with the highest
 * status of all commands run. */
enum cli_status {
	CLI_OK = 0,
	CLI_NOT_FOUND = 1,  /* get of a missing key */
	CLI_UNCHANGED = 1,  /* cas that did not swap (same status: "no") */
	CLI_USAGE = 2,      /* bad options, unknown command, wrong arguments */
	CLI_SERVER = 3,     /* the server answered with an error */
	CLI_CONNECTION = 4, /* could not connect, connection lost, or timed out */
	CLI_UNKNOWN = 5,    /* a write's outcome is unknown: sent, and no reply came */
};

enum cli_format { CLI_HUMAN, CLI_RAW, CLI_JSON };

struct cli {
	struct tkv_config cfg;
	struct tkv_client *client; /* connected on first use */
	enum cli_format fmt;
	FILE *out; /* data */
	FILE *err; /* diagnostics */
	bool quit; /* a quit command was run */
	/* scheduler admin commands (cmds_sched.c) */
	const char *sched_addr;  /* -s/--scheduler; NULL: 127.0.0.1:2379 */
	struct tkv_sched *sched; /* connected on first use */
	/* transactions (cmds_txn.c): while txn is open, get/put/delete/scan
	 * run inside it */
	struct tkv_txn_client *txc; /* connected at the first begin */
	struct tkv_txn *txn;        /* the open transaction, or NULL */
};

struct cli_cmd {
	const char *name;
	const char *alias;    /* or NULL */
	const char *synopsis; /* arguments, as shown by help */
	const char *help;     /* one line */
	int min_args, max_args; /* max -1: unbounded */
	bool needs_server;
	int (*run)(struct cli *c, const struct tk_slice *argv, size_t argc);
	/* Shell completion after the name (complete.c), space separated:
	 * "WORD" completes the first argument, "PREV/WORD" the argument after
	 * PREV, "--OPT" any argument that starts with a dash.  NULL: none. */
	const char *complete;
	/* The handler parses "--" itself (scan); for the others
	 * cli_run drops a leading "--", so "get -- --help" reads key "--help". */
	bool own_opts;
};

/* The command table, terminated by a row with name NULL. */
extern const struct cli_cmd cli_cmds[];
/* The scheduler admin commands (cmds_sched.c), same format. */
extern const struct cli_cmd cli_sched_cmds[];
/* begin, commit, rollback (cmds_txn.c). */
extern const struct cli_cmd cli_txn_cmds[];
/* Roll back an open transaction and disconnect (at exit). */
void cli_txn_close(struct cli *c);
/* JSON output shared by the command files: strings with every control,
 * quote and non-ASCII byte escaped; bytes as {"$b":"text"} or
 * {"$hex":"..."} (the convention of src/codec/json.h). */
void cli_json_str(struct tk_buf *b, const char *s);
void cli_json_strn(struct tk_buf *b, const char *s, size_t n);
void cli_json_bytes(struct tk_buf *b, const uint8_t *p, size_t n);

/* A key for people: quoted as needed (util/quote.h), `empty` when empty
 * ("-inf", "+inf" for range ends). */
void cli_key_human(struct tk_buf *b, const uint8_t *p, size_t n, const char *empty);
/* "region 8 [m, +inf) epoch 1/2 peers 9@1,10@2*,11@3" (* marks leader_peer;
 * 0: none), no newline: `region list` and the region error hint. */
void cli_region_human(struct tk_buf *b, const struct tkv_region *r, uint64_t leader_peer);

/* A region error's detail (region_hint.c): the hint in words for
 * NOT_LEADER and EPOCH_NOT_MATCH (lines appended to b, none for the other
 * codes), and the detail fields as members of a JSON object (",\"region\":2,..."). */
void cli_region_error_hint(struct tk_buf *b, const struct tkv_region_error *re);
void cli_region_error_json(struct tk_buf *b, const struct tkv_region_error *re);

/* Shared reporting of cmds.c, for the other command files. */
int cli_fail(struct cli *c, enum tk_err e, const struct tk_errbuf *eb);

/* The n-th command over all tables (tab completion); NULL past the end. */
const struct cli_cmd *cli_cmd_nth(size_t n);

/* Look up a command by name or alias; NULL when unknown. */
const struct cli_cmd *cli_find(struct tk_slice name);

/* Run one command line already split into arguments (argv[0] is the command
 * name).  Reports errors itself and returns the status. */
int cli_run(struct cli *c, const struct tk_slice *argv, size_t argc);

/* Report a usage error for a command (or for the line when cmd is NULL). */
int cli_usage_error(struct cli *c, const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Print the command list (human help). */
void cli_print_commands(FILE *f);

/* Print one command's help (help COMMAND, COMMAND --help). */
void cli_print_command_help(FILE *f, const struct cli_cmd *cmd);

/* Shell completion (complete.c): the candidates for the word being typed,
 * given the line before it (line[0..start), split with the shell's quoting)
 * and the word's prefix.  Returns a NULL-terminated array of malloc'ed
 * strings in table order (possibly empty), or NULL when out of memory; free
 * it with cli_complete_free. */
char **cli_complete(const char *line, size_t start, const char *word);
void cli_complete_free(char **v);

/* The interactive shell (libedit): returns the status of the last command
 * run before quit or end of input (Ctrl-D), 0 when none ran.  Ctrl-C cancels
 * the line being typed and never ends the shell. */
int cli_shell(struct cli *c);
/* The pipe reader: returns the worst status of all the commands. */
int cli_pipe(struct cli *c, FILE *in);

#endif
