/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * amp-bench: each figure beside a baseline measured in the same run, in short alternating
 * windows (this machine's virtual CPUs migrate, and a speed measured a minute apart is not a
 * baseline). A cache-line ping-pong probe runs before and after each pair of windows; a pair
 * whose probe moved by more than 20% is measured again.
 * Usage: amp-bench [--smoke] [--json PATH] [--dist PATH] [--only TEXT] (only the rows whose
 * name has TEXT). --dist: where the latency distributions go (bench/plot_latency.py).
 * Benchmark layer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_ampd.h"
#include "bench_base.h"
#include "bench_rpmsg.h"
#include "bench_sim.h"
#include "bench_util.h"
#include "bench_vq.h"

struct bench_cfg {
	int windows;
	uint64_t echo_iters;
	uint64_t stream_iters;
	int retries;
};

/* The sim rows boot a processor per window: fewer, longer-lived iterations. */
struct bench_plan {
	struct bench_cfg fast;  /* in-process rings and the polled sim */
	struct bench_cfg mbox;  /* mailbox round trips: each sleeps and wakes */
	struct bench_cfg sim_stream;
	struct bench_cfg boot;
	struct bench_cfg m4;        /* the emulated Cortex-M4: round trips of tens of us */
	struct bench_cfg m4_stream;
	struct bench_cfg ampd;      /* through the daemon: round trips of tens of us */
	struct bench_cfg ampd_stream;
	uint64_t cpu_iters;
};

static const char *only;

static bool skip(const char *name)
{
	return only && !strstr(name, only);
}

/* The latency distributions, for bench/plot_latency.py: each latency row's quantiles and its
 * baseline's, as a JSON list (NULL: not written). */
static FILE *dist;
static unsigned int dist_rows;

static void dist_add(const char *name, const char *baseline, double *sa, size_t na, double *sb,
		     size_t nb)
{
	static const double tail[] = {0.995, 0.999, 0.9995, 0.9999, 1.0};
	double *s[2] = {sa, sb};
	size_t n[2] = {na, nb};
	int side, i;

	if (!dist || !na || !nb)
		return;
	fprintf(dist, "%s\n  {\"name\": \"%s\", \"baseline\": \"%s\", \"unit\": \"ns\", \"p\": [",
		dist_rows++ ? "," : "", name, baseline);
	for (i = 0; i <= 99; i++)
		fprintf(dist, "%s%.2f", i ? ", " : "", i / 100.0);
	for (i = 0; i < 5; i++)
		fprintf(dist, ", %.4f", tail[i]);
	for (side = 0; side < 2; side++) {
		fprintf(dist, "], \"%s\": [", side ? "baseline_ns" : "value_ns");
		for (i = 0; i <= 99; i++)
			fprintf(dist, "%s%.1f", i ? ", " : "", bench_percentile(s[side], n[side], i / 100.0));
		for (i = 0; i < 5; i++)
			fprintf(dist, ", %.1f", bench_percentile(s[side], n[side], tail[i]));
	}
	fputs("]}", dist);
}

static int bench_probe_steady(double before, double after)
{
	return fabs(after - before) <= 0.2 * before;
}

/* Alternate windows of @a and @b (a latency pair); report median, p99, p99.9 and untimed mean. */
static size_t bench_latency(const struct bench_cfg *c, const struct bench_pair *a,
			    const struct bench_pair *b, const char *name, const char *target,
			    struct bench_result *out)
{
	size_t per = c->echo_iters, n = per * (size_t)c->windows, na = 0, nb = 0;
	double mean_a = 0, mean_b = 0, ratios[64], *sa, *sb;
	int w, tries;

	if (skip(name))
		return 0;
	sa = bench_samples_alloc(n, sizeof(double));
	sb = bench_samples_alloc(n, sizeof(double));
	if (!sa || !sb)
		exit(1);
	for (w = 0; w < c->windows; w++) {
		for (tries = 0; tries <= c->retries; tries++) {
			double p0 = bench_probe(), p1;

			bench_window(b, per, sb + nb, per);
			bench_window(a, per, sa + na, per);
			p1 = bench_probe();
			if (bench_probe_steady(p0, p1) || tries == c->retries)
				break;
			fprintf(stderr, "  %s: window %d: probe moved %.0f -> %.0f ns, again\n", name,
				w, p0, p1);
		}
		/* The ratio of two windows measured back to back holds on a machine whose speed
		 * changes between windows; the pooled figures below do not. */
		qsort(sa + na, per, sizeof(double), bench_cmp_double);
		qsort(sb + nb, per, sizeof(double), bench_cmp_double);
		ratios[w % 64] = bench_percentile(sa + na, per, 0.5) / bench_percentile(sb + nb, per, 0.5);
		na += per;
		nb += per;
		/* The untimed loop: no clock reads inside, the mean of the whole loop. */
		mean_b += bench_window(b, per, NULL, 0);
		mean_a += bench_window(a, per, NULL, 0);
	}
	qsort(sa, na, sizeof(double), bench_cmp_double);
	qsort(sb, nb, sizeof(double), bench_cmp_double);
	dist_add(name, b->name, sa, na, sb, nb);
	{
		const struct {
			const char *what;
			double p;
		} q[] = {{"median", 0.5}, {"p99", 0.99}, {"p99.9", 0.999}};
		size_t i, k = 0;

		for (i = 0; i < 3; i++, k++) {
			double va = bench_percentile(sa, na, q[i].p), vb = bench_percentile(sb, nb, q[i].p);

			snprintf(out[k].name, sizeof(out[k].name), "%s %s", name, q[i].what);
			snprintf(out[k].baseline, sizeof(out[k].baseline), "%s %s", b->name, q[i].what);
			out[k].value = va;
			out[k].baseline_value = vb;
			out[k].unit = "ns";
			out[k].ratio = va / vb;
			out[k].target = i == 0 ? target : NULL;
			if (i == 0) {
				int nw = c->windows < 64 ? c->windows : 64;

				qsort(ratios, (size_t)nw, sizeof(double), bench_cmp_double);
				out[k].ratio = bench_percentile(ratios, (size_t)nw, 0.5);
			}
		}
		snprintf(out[k].name, sizeof(out[k].name), "%s mean (untimed)", name);
		snprintf(out[k].baseline, sizeof(out[k].baseline), "%s mean", b->name);
		out[k].value = mean_a / c->windows;
		out[k].baseline_value = mean_b / c->windows;
		out[k].unit = "ns";
		out[k].ratio = out[k].value / out[k].baseline_value;
		out[k].target = NULL;
	}
	bench_samples_free(sa);
	bench_samples_free(sb);
	return 4;
}

/* Alternate windows of two streams; report the median rate, and MB/s for @msg_size bytes. */
static size_t bench_rate(const struct bench_cfg *c, const struct bench_pair *a,
			 const struct bench_pair *b, const char *name, size_t msg_size,
			 const char *target, struct bench_result *out)
{
	double ra[64], rb[64], ratio[64];
	int w, tries, n = c->windows < 64 ? c->windows : 64;

	if (skip(name))
		return 0;
	for (w = 0; w < n; w++) {
		for (tries = 0; tries <= c->retries; tries++) {
			double p0 = bench_probe(), p1;

			rb[w] = bench_window(b, c->stream_iters, NULL, 0);
			ra[w] = bench_window(a, c->stream_iters, NULL, 0);
			p1 = bench_probe();
			if (bench_probe_steady(p0, p1) || tries == c->retries)
				break;
			fprintf(stderr, "  %s: window %d: probe moved %.0f -> %.0f ns, again\n", name,
				w, p0, p1);
		}
		ratio[w] = ra[w] / rb[w];
	}
	qsort(ratio, (size_t)n, sizeof(double), bench_cmp_double);
	qsort(ra, (size_t)n, sizeof(double), bench_cmp_double);
	qsort(rb, (size_t)n, sizeof(double), bench_cmp_double);
	snprintf(out[0].name, sizeof(out[0].name), "%s", name);
	snprintf(out[0].baseline, sizeof(out[0].baseline), "%s", b->name);
	out[0].value = bench_percentile(ra, (size_t)n, 0.5);
	out[0].baseline_value = bench_percentile(rb, (size_t)n, 0.5);
	out[0].unit = "msg/s";
	out[0].ratio = bench_percentile(ratio, (size_t)n, 0.5);
	out[0].target = target;
	out[1] = out[0];
	snprintf(out[1].name, sizeof(out[1].name), "%s MB/s", name);
	out[1].value = out[0].value * (double)msg_size / 1e6;
	out[1].baseline_value = out[0].baseline_value * (double)msg_size / 1e6;
	out[1].unit = "MB/s";
	out[1].target = NULL;
	return 2;
}

/* CPU time (both sides) per operation of @a and of @b, alternating, median of the windows. */
static size_t bench_cpu(const struct bench_plan *plan, const struct bench_pair *a,
			const struct bench_pair *b, const char *name, struct bench_result *out)
{
	double va[64], vb[64], ratio[64];
	int w, nw = plan->mbox.windows < 64 ? plan->mbox.windows : 64;

	if (skip(name))
		return 0;
	for (w = 0; w < nw; w++) {
		vb[w] = bench_cpu_per_op(b, plan->cpu_iters);
		va[w] = bench_cpu_per_op(a, plan->cpu_iters);
		ratio[w] = va[w] / vb[w];
	}
	qsort(va, (size_t)nw, sizeof(double), bench_cmp_double);
	qsort(vb, (size_t)nw, sizeof(double), bench_cmp_double);
	qsort(ratio, (size_t)nw, sizeof(double), bench_cmp_double);
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->baseline, sizeof(out->baseline), "%s CPU", b->name);
	out->value = bench_percentile(va, (size_t)nw, 0.5);
	out->baseline_value = bench_percentile(vb, (size_t)nw, 0.5);
	out->unit = "ns CPU";
	out->ratio = bench_percentile(ratio, (size_t)nw, 0.5);
	out->target = "<= 1.1";
	return 1;
}

int main(int argc, char **argv)
{
	struct bench_cfg c = {.windows = 7, .echo_iters = 100000, .stream_iters = 2000000,
			      .retries = 2};
	const char *json = "build/bench/results.json", *dist_path = "build/bench/latency.json";
	struct bench_plan plan = {
		.mbox = {.windows = 5, .echo_iters = 20000, .stream_iters = 200000, .retries = 2},
		.sim_stream = {.windows = 5, .echo_iters = 0, .stream_iters = 500000, .retries = 2},
		.boot = {.windows = 5, .echo_iters = 20, .stream_iters = 0, .retries = 1},
		.m4 = {.windows = 5, .echo_iters = 5000, .stream_iters = 0, .retries = 1},
		.m4_stream = {.windows = 5, .echo_iters = 0, .stream_iters = 50000, .retries = 1},
		.ampd = {.windows = 5, .echo_iters = 5000, .stream_iters = 0, .retries = 1},
		.ampd_stream = {.windows = 5, .echo_iters = 0, .stream_iters = 100000, .retries = 1},
		.cpu_iters = 100000};
	char why[128];
	struct bench_result r[128];
	size_t n = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke")) {
			c = (struct bench_cfg){.windows = 2, .echo_iters = 2000,
					       .stream_iters = 20000, .retries = 0};
			plan.mbox = plan.sim_stream = c;
			plan.boot = (struct bench_cfg){.windows = 2, .echo_iters = 2};
			plan.m4 = (struct bench_cfg){.windows = 2, .echo_iters = 200};
			plan.m4_stream = (struct bench_cfg){.windows = 2, .stream_iters = 2000};
			plan.ampd = (struct bench_cfg){.windows = 2, .echo_iters = 200};
			plan.ampd_stream = (struct bench_cfg){.windows = 2, .stream_iters = 2000};
			plan.cpu_iters = 2000;
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only = argv[++i];
		} else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json = argv[++i];
		} else if (!strcmp(argv[i], "--dist") && i + 1 < argc) {
			dist_path = argv[++i];
		} else {
			fprintf(stderr,
				"usage: %s [--smoke] [--json PATH] [--dist PATH] [--only TEXT]\n",
				argv[0]);
			return 2;
		}
	}
	/* A failure here only costs the plot. */
	dist = bench_fopen(dist_path);
	if (dist)
		fputs("{\"rows\": [", dist);
	plan.fast = c;
	bench_base_init();
	printf("amp-bench: %d alternating windows per figure; host on CPU 0, remote on CPU 1\n",
	       c.windows);
	n += bench_latency(&c, &bench_vq_echo, &bench_raw_echo, "virtqueue echo 16 B, polling",
			   "<= 1.5", r + n);
	n += bench_rate(&c, &bench_vq_stream, &bench_raw_stream, "virtqueue stream 512 B, polling",
			512, ">= 0.7", r + n);
	/* The machine itself: how much faster one CPU streams to the other than back (the
	 * polled remote->host row is compared with the ring running its way). */
	n += bench_rate(&c, &bench_raw_stream_rev, &bench_raw_stream,
			"raw ring stream 512 B, CPU 1 -> CPU 0", 512, NULL, r + n);
	n += bench_latency(&c, &bench_rpmsg_echo16, &bench_raw_echo, "rpmsg echo 16 B, polling",
			   "<= 1.5", r + n);
	n += bench_latency(&c, &bench_rpmsg_echo496, &bench_raw_echo496,
			   "rpmsg echo 496 B, polling", NULL, r + n);

	/* The full stack on the sim platform: firmware in a core process. */
	n += bench_latency(&c, &bench_sim_poll_echo16, &bench_raw_echo, "sim echo 16 B, polling",
			   "<= 1.2", r + n);
	if (!skip("sim echo 16 B, polling: slow round trips by cause"))
		bench_sim_causes((unsigned int)c.windows, c.echo_iters);
	n += bench_latency(&c, &bench_sim_poll_echo496, &bench_raw_echo496,
			   "sim echo 496 B, polling", NULL, r + n);
	n += bench_rate(&plan.sim_stream, &bench_sim_poll_to_remote, &bench_raw_stream,
			"sim stream 496 B host->remote, polling", 496, ">= 0.8", r + n);
	n += bench_rate(&plan.sim_stream, &bench_sim_poll_from_remote, &bench_raw_stream_rev,
			"sim stream 496 B remote->host, polling", 496, ">= 0.8", r + n);
	n += bench_latency(&plan.mbox, &bench_sim_mbox_echo16, &bench_eventfd_pingpong,
			   "sim echo 16 B, mailbox", "<= 1.1", r + n);
	n += bench_latency(&plan.mbox, &bench_sim_mbox_echo496, &bench_eventfd_pingpong,
			   "sim echo 496 B, mailbox", NULL, r + n);
	n += bench_latency(&plan.mbox, &bench_socket_pingpong, &bench_eventfd_pingpong,
			   "socketpair ping-pong 16 B", NULL, r + n);
	n += bench_rate(&plan.sim_stream, &bench_sim_mbox_to_remote, &bench_socket_stream,
			"sim stream 496 B host->remote, mailbox", 496, ">= 6", r + n);
	n += bench_rate(&plan.sim_stream, &bench_sim_mbox_from_remote, &bench_socket_stream,
			"sim stream 496 B remote->host, mailbox", 496, ">= 5", r + n);
	n += bench_cpu(&plan, &bench_sim_mbox_echo16, &bench_eventfd_pingpong,
		       "sim echo 16 B, mailbox: CPU per round trip", r + n);
	/* Scale. */
	n += bench_latency(&plan.mbox, &bench_sim_mbox_echo16_64, &bench_sim_mbox_echo16,
			   "sim echo 16 B, 64 endpoints", NULL, r + n);
	n += bench_latency(&plan.mbox, &bench_sim_mbox_echo16_1024, &bench_sim_mbox_echo16,
			   "sim echo 16 B, 1024 endpoints", "<= 1.1", r + n);
	n += bench_rate(&plan.sim_stream, &bench_sim_mbox_to_remote8, &bench_sim_mbox_to_remote,
			"sim stream host->8 remotes, mailbox", 496, NULL, r + n);
	n += bench_latency(&plan.boot, &bench_sim_boot, &bench_spawn, "sim boot, echo firmware",
			   NULL, r + n);
	/* The layers above the bus: a client of ampd, in C (libamp-client) and in Python. */
	n += bench_latency(&plan.ampd, &bench_ampd_echo16, &bench_socket_pingpong,
			   "ampd endpoint echo 16 B, libamp-client", NULL, r + n);
	n += bench_rate(&plan.ampd_stream, &bench_ampd_to_remote, &bench_socket_stream,
			"ampd endpoint stream 496 B host->remote", 496, NULL, r + n);
	if (bench_python_missing(why, sizeof(why)))
		printf("Python client row skipped: %s\n", why);
	else
		n += bench_latency(&plan.ampd, &bench_python_echo16, &bench_ampd_echo16,
				   "ampd endpoint echo 16 B, Python ampclient", NULL, r + n);
	/* The shm platform: a Linux process as the remote, doorbells over a UNIX socket. */
	if (!bench_shm_setup(why, sizeof(why))) {
		printf("shm rows skipped: %s\n", why);
	} else {
		n += bench_latency(&plan.mbox, &bench_shm_echo16, &bench_socket_pingpong,
				   "shm echo 16 B", NULL, r + n);
		n += bench_rate(&plan.sim_stream, &bench_shm_to_remote, &bench_socket_stream,
				"shm stream 496 B host->remote", 496, NULL, r + n);
		n += bench_rate(&plan.sim_stream, &bench_shm_from_remote, &bench_socket_stream,
				"shm stream 496 B remote->host", 496, NULL, r + n);
	}
	/* The same firmware on a Cortex-M4 under QEMU, beside the sim's rows: emulated (TCG),
	 * so these say what the emulator costs, not what an M4 would do (docs/performance.md). */
	if (bench_qemu_m4_missing(why, sizeof(why))) {
		printf("qemu-m4 rows skipped: %s\n", why);
	} else {
		n += bench_latency(&plan.m4, &bench_m4_mbox_echo16, &bench_sim_mbox_echo16,
				   "qemu-m4 echo 16 B, mailbox (emulated)", NULL, r + n);
		n += bench_latency(&plan.m4, &bench_m4_mbox_echo496, &bench_sim_mbox_echo496,
				   "qemu-m4 echo 496 B, mailbox (emulated)", NULL, r + n);
		n += bench_latency(&plan.m4, &bench_m4_poll_echo16, &bench_sim_poll_echo16,
				   "qemu-m4 echo 16 B, polling (emulated)", NULL, r + n);
		n += bench_rate(&plan.m4_stream, &bench_m4_mbox_to_remote, &bench_sim_mbox_to_remote,
				"qemu-m4 stream 496 B host->remote, mailbox (emulated)", 496, NULL,
				r + n);
		n += bench_rate(&plan.m4_stream, &bench_m4_mbox_from_remote,
				&bench_sim_mbox_from_remote,
				"qemu-m4 stream 496 B remote->host, mailbox (emulated)", 496, NULL,
				r + n);
		n += bench_latency(&plan.boot, &bench_m4_boot, &bench_sim_boot,
				   "qemu-m4 boot, echo firmware (emulated)", NULL, r + n);
	}
	if (dist) {
		fputs("\n]}\n", dist);
		fclose(dist);
		printf("latency distributions written to %s (make bench-plot draws them)\n",
		       dist_path);
	}
	bench_report(r, n, json);
	return 0;
}
