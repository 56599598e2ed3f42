// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The option tables and name lookup of user/cli/opts.c, and the tables of
 * the real commands. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "cli/cmd.h"
#include "cli/cmd_kube.h"
#include "cli/opts.h"
#include "harness.h"

static const struct cli_opt demo_opts[] = {
	{ .name = "mode", .val = 'm', .short_opt = true, .metavar = "A|B",
	  .help = "the mode" },
	{ .name = "all", .val = 'a', .help = "everything" },
	{ .name = "verbose", .val = 'v', .short_opt = true, .help = "louder" },
	{ .name = "file", .val = 'F', .metavar = "FILE", .help = "a file" },
	{},
};

static void test_short_string(void)
{
	struct cli_getopt g;

	cli_opts_init(&g, ":");
	ASSERT_EQ(cli_opts_add(&g, demo_opts), 0, "cli_opts_add(&g, demo_opts)");
	ASSERT_TRUE_FMT(!strcmp(g.shorts, ":m:v"), "'%s'", g.shorts);
	cli_opts_init(&g, "+:");
	ASSERT_EQ(cli_opts_add(&g, demo_opts + 2), 0, "cli_opts_add(&g, demo_opts + 2)");
	ASSERT_TRUE_FMT(!strcmp(g.shorts, "+:v"), "'%s'", g.shorts);
}

static void test_long_options(void)
{
	static const struct cli_opt more[] = {
		{ .name = "help", .val = 'h', .short_opt = true, .help = "help" },
		{},
	};
	struct cli_getopt g;

	cli_opts_init(&g, ":");
	ASSERT_EQ(cli_opts_add(&g, more), 0, "cli_opts_add(&g, more)");
	ASSERT_EQ(cli_opts_add(&g, demo_opts), 0, "cli_opts_add(&g, demo_opts)");
	ASSERT_EQ(g.n, 5, "g.n");
	ASSERT_TRUE_FMT(!strcmp(g.shorts, ":hm:v"), "'%s'", g.shorts);
	ASSERT_TRUE_FMT(!strcmp(g.longs[0].name, "help"), "'%s'", g.longs[0].name);
	ASSERT_TRUE_FMT(!strcmp(g.longs[1].name, "mode"), "'%s'", g.longs[1].name);
	ASSERT_EQ(g.longs[1].has_arg, required_argument, "g.longs[1].has_arg");
	ASSERT_EQ(g.longs[1].val, 'm', "g.longs[1].val");
	ASSERT_EQ(g.longs[2].has_arg, no_argument, "g.longs[2].has_arg");
	ASSERT_EQ(g.longs[4].val, 'F', "g.longs[4].val");
	ASSERT_TRUE(g.longs[4].flag == NULL, "flag set");
	ASSERT_TRUE(g.longs[5].name == NULL, "no terminator");
}

static void test_too_many(void)
{
	struct cli_getopt g;
	int i, ret = 0;

	cli_opts_init(&g, ":");
	for (i = 0; i <= CLI_MAX_OPTS && !ret; i++)
		ret = cli_opts_add(&g, demo_opts + 3);
	ASSERT_EQ(ret, -E2BIG, "ret");
	ASSERT_EQ(i, CLI_MAX_OPTS + 1, "i");
	ASSERT_TRUE(g.longs[CLI_MAX_OPTS].name == NULL, "no terminator");
}

/* The generated arrays drive getopt_long(): values, abbreviations,
 * operands permuted to the end, a missing value reported as ':'. */
static void test_getopt_roundtrip(void)
{
	char *argv[] = { "cmd", "op1", "--mo", "B", "-v", "--all", "--file=x",
			 "op2", NULL };
	char *argv2[] = { "cmd", "--file", NULL };
	struct cli_getopt g;
	int opt, seen = 0;

	cli_opts_init(&g, ":");
	cli_opts_add(&g, demo_opts);
	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(8, argv, g.shorts, g.longs, NULL)) != -1) {
		if (opt == 'm')
			seen |= ASSERT_TRUE_FMT(!strcmp(optarg, "B"), "'%s'", optarg);
		else if (opt == 'F')
			seen |= ASSERT_TRUE_FMT(!strcmp(optarg, "x"), "'%s'", optarg) << 1;
		else if (opt == 'v' || opt == 'a')
			seen |= opt == 'v' ? 4 : 8;
		else
			ASSERT_TRUE_FMT(0, "unexpected %d", opt);
	}
	ASSERT_EQ(seen, 15, "seen");
	ASSERT_EQ(optind, 6, "optind");
	ASSERT_TRUE_FMT(!strcmp(argv[optind], "op1") && !strcmp(argv[7], "op2"),
			"operands '%s' '%s'", argv[optind], argv[7]);
	optind = 0;
	ASSERT_EQ(getopt_long(2, argv2, g.shorts, g.longs, NULL), ':', "getopt_long");
	ASSERT_EQ(optopt, 'F', "optopt");
}

static void test_help_text(void)
{
	char *buf = NULL, flag[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!ASSERT_TRUE(f != NULL, "open_memstream"))
		return;
	cli_opts_help(f, demo_opts, "> ");
	fclose(f);
	ASSERT_STR_CONTAINS(buf, "> " "    -m, --mode A|B               the mode\n", "buf");
	ASSERT_STR_CONTAINS(buf, "    --all                        everything\n", "buf");
	ASSERT_STR_CONTAINS(buf, "    -v, --verbose                louder\n", "buf");
	ASSERT_STR_CONTAINS(buf, "    --file FILE                  a file\n", "buf");
	ASSERT_EQ(strlen(buf), 4 * (2 + 4 + 28 + 1) + strlen("the mode\n") +
				       strlen("everything\n") +
				       strlen("louder\n") + strlen("a file\n"), "strlen(buf)");
	cli_opt_flag(&demo_opts[1], flag, sizeof(flag));
	ASSERT_TRUE_FMT(!strcmp(flag, "--all"), "'%s'", flag);
	free(buf);
}

static void test_match(void)
{
	static const char *const names[] = { "attach", "detach", "detach-cgroup",
					     "count", "clear", "status" };
	const size_t n = sizeof(names) / sizeof(names[0]);
	char list[64];

	ASSERT_EQ(cli_match("attach", names, n), 0, "cli_match");
	ASSERT_EQ(cli_match("att", names, n), 0, "cli_match");
	ASSERT_EQ(cli_match("detach", names, n), 1, "cli_match"); /* exact beats prefix */
	ASSERT_EQ(cli_match("detach-", names, n), 2, "cli_match");
	ASSERT_EQ(cli_match("de", names, n), CLI_AMBIGUOUS, "cli_match");
	ASSERT_EQ(cli_match("c", names, n), CLI_AMBIGUOUS, "cli_match");
	ASSERT_EQ(cli_match("co", names, n), 3, "cli_match");
	ASSERT_EQ(cli_match("cl", names, n), 4, "cli_match");
	ASSERT_EQ(cli_match("s", names, n), 5, "cli_match");
	ASSERT_EQ(cli_match("statusx", names, n), CLI_NO_MATCH, "cli_match");
	ASSERT_EQ(cli_match("x", names, n), CLI_NO_MATCH, "cli_match");
	ASSERT_EQ(cli_match("", names, n), CLI_NO_MATCH, "cli_match");
	ASSERT_EQ(cli_match("ATTACH", names, n), CLI_NO_MATCH, "cli_match");
	ASSERT_EQ(cli_match("a", names, 0), CLI_NO_MATCH, "cli_match");
	cli_match_list("c", names, n, list, sizeof(list));
	ASSERT_TRUE_FMT(!strcmp(list, "count, clear"), "'%s'", list);
	cli_match_list("de", names, n, list, sizeof(list));
	ASSERT_TRUE_FMT(!strcmp(list, "detach, detach-cgroup"), "'%s'", list);
}

/* Every command's table: names and vals unique (with the -h/--help every
 * command gets), short options are letters, and getopt tables fit. */
static void check_table(const struct cmd *c)
{
	const struct cli_opt *a, *b;
	struct cli_getopt g;

	if (!c->opts)
		return;
	cli_opts_init(&g, ":h");
	ASSERT_TRUE_FMT(!cli_opts_add(&g, c->opts), "%s: too many options", c->name);
	for (a = c->opts; a->name; a++) {
		ASSERT_TRUE_FMT(a->help && *a->help, "%s --%s: no help", c->name, a->name);
		ASSERT_TRUE_FMT(a->val != 'h' && strcmp(a->name, "help"),
				"%s --%s: clashes with --help", c->name, a->name);
		ASSERT_TRUE_FMT(!a->short_opt || (a->val < 128 && isalpha(a->val)),
				"%s --%s: short option %d", c->name, a->name, a->val);
		for (b = a + 1; b->name; b++)
			ASSERT_TRUE_FMT(a->val != b->val && strcmp(a->name, b->name),
					"%s: --%s and --%s", c->name, a->name, b->name);
	}
}

static void test_command_tables(void)
{
	const struct cmd *const cmds[] = {
		&cmd_attach, &cmd_detach, &cmd_apply, &cmd_set_weight,
		&cmd_service, &cmd_endpoints, &cmd_status, &cmd_pin,
		&cmd_unpin, &cmd_flows, &cmd_attach_cgroup,
		&cmd_detach_cgroup, &cmd_agent, &cmd_kube_status, &cmd_guard,
		&cmd_top,
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		check_table(cmds[i]);
}

int main(void)
{
	RUN_TEST(test_short_string);
	RUN_TEST(test_long_options);
	RUN_TEST(test_too_many);
	RUN_TEST(test_getopt_roundtrip);
	RUN_TEST(test_help_text);
	RUN_TEST(test_match);
	RUN_TEST(test_command_tables);
	return test__summary();
}
