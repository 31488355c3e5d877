// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * read_stable_at (issue 14 point 7): a reload reads the policy once, and
 * never a file being written: not one changed during the read, nor one a
 * writer is still filling (changed moments ago and again before 200 ms).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "vigil/fileio.h"

static char dir[64];

static void mk_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vigil-fileio.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void put(const char *name, const char *data, int flags)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | flags, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void msleep(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

static void clean(void)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/p.yml", dir);
	unlink(p);
	rmdir(dir);
}

static int read_it(const char *name, char **buf, size_t *len)
{
	int dfd = open(dir, O_PATH | O_DIRECTORY), r;
	r = read_stable_at(dfd, name, 1 << 20, buf, len);
	close(dfd);
	return r;
}

START_TEST(a_saved_file)
{
	char *buf = NULL;
	size_t len = 0;

	mk_dir();
	put("p.yml", "version: 1\n", O_TRUNC);
	msleep(250);
	ck_assert_int_eq(read_it("p.yml", &buf, &len), 0);
	clean();
	ck_assert_str_eq(buf, "version: 1\n");
	free(buf);
}
END_TEST

static void *second_half(void *arg)
{
	(void)arg;
	msleep(20);
	put("p.yml", "rules: []\n", O_APPEND);
	return NULL;
}

/* `cat a b > policy` caught between its two writes: the whole file */
START_TEST(a_writer_between_two_writes)
{
	pthread_t t;
	char *buf = NULL;
	size_t len = 0;

	mk_dir();
	put("p.yml", "version: 1\n", O_TRUNC);
	ck_assert_int_eq(pthread_create(&t, NULL, second_half, NULL), 0);
	ck_assert_int_eq(read_it("p.yml", &buf, &len), 0);
	pthread_join(t, NULL);
	clean();
	ck_assert_str_eq(buf, "version: 1\nrules: []\n");
	free(buf);
}
END_TEST

static atomic_bool stop;

static void *rewriter(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !atomic_load(&stop); i++) {
		put("p.yml", i & 1 ? "version: 1\n" : "version: 2\n", O_TRUNC);
		msleep(2);
	}
	return NULL;
}

/* a file that never stops changing: -EAGAIN, never half of it */
START_TEST(a_file_that_keeps_changing)
{
	pthread_t t;
	char *buf = NULL;
	size_t len = 0;

	mk_dir();
	put("p.yml", "version: 1\n", O_TRUNC);
	ck_assert_int_eq(pthread_create(&t, NULL, rewriter, NULL), 0);
	msleep(10);
	int r = read_it("p.yml", &buf, &len);
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	clean();
	ck_assert_int_eq(r, -EAGAIN);
	ck_assert_ptr_null(buf);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fileio");
	TCase *tc = tcase_create("stable");

	tcase_add_test(tc, a_saved_file);
	tcase_add_test(tc, a_writer_between_two_writes);
	tcase_add_test(tc, a_file_that_keeps_changing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(suite());
}
