/* tinykv-bench: load generator for tinykvd.  See tinykv-bench(1). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

/* Set by SIGINT/SIGTERM: the run stops and reports what it measured. */
static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int main(int argc, char **argv)
{
	struct bench_config cfg;
	char msg[512];

	bench_config_default(&cfg);
	int p = bench_parse_args(&cfg, argc, argv, stdout, msg, sizeof(msg));
	if (p > 0)
		return 0;
	if (p < 0) {
		fprintf(stderr, "tinykv-bench: %s\nTry 'tinykv-bench --help'.\n", msg);
		return 2;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct bench_result *res = calloc(1, sizeof(*res));
	if (!res) {
		fprintf(stderr, "tinykv-bench: out of memory\n");
		return 1;
	}
	struct tk_errbuf err = {0};
	enum tk_err rc;
	if (cfg.mode == MODE_TSO)
		rc = bench_run_tso(&cfg, &stop_flag, res, &err);
	else if (cfg.mode == MODE_TXN)
		rc = bench_run_txn(&cfg, &stop_flag, res, &err);
	else
		rc = bench_run(&cfg, &stop_flag, res, &err);
	if (rc != TK_E_OK) {
		if (cfg.mode == MODE_TXN)
			fprintf(stderr, "tinykv-bench: %s (scheduler %s): %s\n", cfg.address,
				cfg.scheduler, err.msg);
		else
			fprintf(stderr, "tinykv-bench: %s: %s\n",
				cfg.mode == MODE_TSO ? cfg.scheduler : cfg.address, err.msg);
		free(res);
		return 1;
	}
	if (cfg.json)
		bench_report_json(stdout, &cfg, res);
	else
		bench_report_text(stdout, &cfg, res);
	/* A run where nothing succeeded did not measure the server; timestamps
	 * out of order are a broken scheduler, whatever the throughput. */
	int status = bench_result_ops(res) > bench_result_errors(res) && !res->ts_violations ? 0 : 1;
	free(res);
	return status;
}
