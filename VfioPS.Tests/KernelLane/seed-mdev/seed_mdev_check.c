// SPDX-License-Identifier: GPL-2.0
/*
 * seed_mdev_check - checks the seed_mdev devices from userspace, as a binary built against the mainline
 * <linux/vfio.h> (struct vfio_irq_info is 16 bytes there: no cap_offset, no caps flag).
 *
 *   seed_mdev_check old-abi UUID...   every IRQ index 0..num_irqs (one past) and 0xffffffff with argsz 16 in a
 *                                     buffer with guard bytes: nothing past byte 16 may change, and the fields
 *                                     are what a mainline reader expects; summary "kernel lane old-abi: N passed, M failed"
 *   seed_mdev_check display UUID...   index 5 with an eventfd: loopback, raise_display_irq, the vblank timer,
 *                                     unbinding, masking refused, released at close; summary
 *                                     "kernel lane mdev-irq: N passed, M failed"
 *   seed_mdev_check dump UUID...      GET_IRQ_INFO of index 5 at argsz 16, 20, 24 and the size needed, as hex
 *   seed_mdev_check sweep UUID...     GET_INFO, GET_IRQ_INFO (indexes 0..7, 0xffffffff) and GET_REGION_INFO
 *                                     (0..10, 0xffffffff) at every argsz 0..64, one line of bytes each, to compare
 *                                     with the mock's answers
 *
 * Each UUID is opened through its own IOMMU group: /dev/vfio/vfio, /dev/vfio/<group>, GROUP_SET_CONTAINER,
 * SET_IOMMU(TYPE1), GROUP_GET_DEVICE_FD(uuid). Exit 0 when every check passed, 1 otherwise, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(struct vfio_irq_info) == 16, "a mainline vfio_irq_info is 16 bytes");

#define CAPS_FLAG	(1u << 4)	/* the seed's VFIO_IRQ_INFO_FLAG_CAPS: unknown to this header */
#define DISPLAY_INDEX	5
#define GUARD		0xa5
#define BUF_SIZE	128

static int passed, failed;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		passed++;
	else
		failed++;
}

struct device {
	const char *uuid;
	char type[64];		/* the mdev type: seed_mdev-display or seed_mdev-chain */
	int container, group, fd;
};

static int read_link_base(const char *path, char *out, size_t size)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	if (n < 0)
		return -1;
	target[n] = 0;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= size)
		return errno = ENAMETOOLONG, -1;
	memcpy(out, base, strlen(base) + 1);
	return 0;
}

/* Opens the mdev's device fd through its group; prints why not and returns -1 on failure. */
static int open_device(struct device *d, const char *uuid)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[PATH_MAX], group[32];

	memset(d, 0, sizeof(*d));
	d->uuid = uuid;
	d->container = d->group = d->fd = -1;
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/mdev_type", uuid);
	if (read_link_base(path, d->type, sizeof(d->type)))
		return fprintf(stderr, "seed_mdev_check: %s: no mdev (%s: %s)\n", uuid, path, strerror(errno)), -1;
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	if (read_link_base(path, group, sizeof(group)))
		return fprintf(stderr, "seed_mdev_check: %s: no IOMMU group (%s)\n", uuid, strerror(errno)), -1;
	d->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	d->group = open(path, O_RDWR | O_CLOEXEC);
	if (d->container < 0 || d->group < 0)
		return fprintf(stderr, "seed_mdev_check: %s: open /dev/vfio/vfio or %s: %s\n", uuid, path, strerror(errno)), -1;
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &status) || !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return fprintf(stderr, "seed_mdev_check: %s: group %s not viable\n", uuid, group), -1;
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container) ||
	    ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		return fprintf(stderr, "seed_mdev_check: %s: container setup: %s\n", uuid, strerror(errno)), -1;
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (d->fd < 0)
		return fprintf(stderr, "seed_mdev_check: %s: GROUP_GET_DEVICE_FD: %s\n", uuid, strerror(errno)), -1;
	return 0;
}

static void close_device(struct device *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	d->fd = d->group = d->container = -1;
}

static int is_chain(const struct device *d)
{
	return strstr(d->type, "-chain") != NULL;
}

/* The size index 5 needs: 24 + the chain (TYPE 16; chain: + DISPLAY 24 + unknown 16). */
static uint32_t display_size(const struct device *d)
{
	return is_chain(d) ? 80 : 40;
}

/* ---- old-abi ---- */

static void old_abi_index(struct device *d, uint32_t index, uint32_t num_irqs)
{
	unsigned char buf[BUF_SIZE];
	struct vfio_irq_info in = { .argsz = sizeof(struct vfio_irq_info), .index = index };
	struct vfio_irq_info out;
	int rc, err, untouched = 1;
	size_t i, first = 0;

	memset(buf, GUARD, sizeof(buf));
	memcpy(buf, &in, sizeof(in));
	rc = ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, buf);
	err = rc ? errno : 0;
	memcpy(&out, buf, sizeof(out));
	for (i = sizeof(in); i < sizeof(buf); i++)
		if (buf[i] != GUARD) {
			untouched = 0;
			first = i;
			break;
		}
	check(untouched, "%s %s index %u: nothing written past byte 16%s", d->uuid, d->type, index,
	      untouched ? "" : " (first changed byte follows)");
	if (!untouched)
		printf("     byte %zu is 0x%02x\n", first, buf[first]);

	if (index == 0) {
		check(rc == 0 && out.flags == (VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED) &&
		      out.count == 1 && out.argsz == 16 && out.index == 0,
		      "%s index 0 (INTx): rc %d errno %d, argsz %u flags 0x%x count %u (want 0, 16, 0x7, 1)",
		      d->uuid, rc, err, out.argsz, out.flags, out.count);
	} else if (index == 1) {
		check(rc == 0 && out.flags == (VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE) && out.count == 1 &&
		      out.argsz == 16 && out.index == 1,
		      "%s index 1 (MSI): rc %d errno %d, argsz %u flags 0x%x count %u (want 0, 16, 0x9, 1)",
		      d->uuid, rc, err, out.argsz, out.flags, out.count);
	} else if (index == DISPLAY_INDEX) {
		/* A mainline reader sees flags (an unknown bit 4 set), index and count at their offsets; argsz is raised. */
		check(rc == 0 && out.flags == (VFIO_IRQ_INFO_EVENTFD | CAPS_FLAG) && out.count == 1 && out.index == 5 &&
		      out.argsz == display_size(d),
		      "%s index 5 (display): rc %d errno %d, argsz %u flags 0x%x count %u (want 0, %u, 0x11, 1)",
		      d->uuid, rc, err, out.argsz, out.flags, out.count, display_size(d));
	} else {
		/* MSI-X, ERR, REQ, one past num_irqs and beyond: EINVAL, and the struct itself untouched. */
		check(rc == -1 && err == EINVAL && memcmp(&in, &out, sizeof(in)) == 0,
		      "%s index %u (%s): rc %d errno %d (want EINVAL, the 16 bytes unchanged)", d->uuid, index,
		      index < 5 ? "refused" : index >= num_irqs ? "past num_irqs" : "unknown", rc, err);
	}
}

static void old_abi(struct device *d)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	uint32_t i, n;
	int rc = ioctl(d->fd, VFIO_DEVICE_GET_INFO, &info);

	check(rc == 0 && (info.flags & VFIO_DEVICE_FLAGS_PCI) && info.num_irqs == 6 && info.num_regions == 9,
	      "%s %s GET_INFO: rc %d flags 0x%x num_regions %u num_irqs %u (want PCI, 9, 6)", d->uuid, d->type, rc,
	      info.flags, info.num_regions, info.num_irqs);
	n = rc == 0 ? info.num_irqs : 6;
	for (i = 0; i <= n; i++)
		old_abi_index(d, i, n);
	old_abi_index(d, 0xffffffffu, n);
}

/* ---- display: the IRQ as userspace sees it ---- */

static int set_irqs(int fd, uint32_t flags, uint32_t index, uint32_t start, uint32_t count, const void *data,
		    size_t size)
{
	unsigned char buf[sizeof(struct vfio_irq_set) + 16] = { 0 };
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	set->argsz = sizeof(*set) + size;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (size)
		memcpy(set->data, data, size);
	return ioctl(fd, VFIO_DEVICE_SET_IRQS, buf) ? errno : 0;
}

static int bind_display(int fd, int32_t efd)
{
	return set_irqs(fd, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, DISPLAY_INDEX, 0, 1, &efd,
			sizeof(efd));
}

/* Waits up to ms for the eventfd and reads its counter (0 if nothing came). */
static uint64_t wait_eventfd(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&p, 1, ms) == 1 && read(efd, &v, sizeof(v)) != sizeof(v))
		v = 0;
	return v;
}

static int sysfs_write(const struct device *d, const char *attr, const char *value)
{
	char path[PATH_MAX];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/seed/%s", d->uuid, attr);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, value, strlen(value)) < 0)
		err = errno;
	close(fd);
	return err;
}

static long long sysfs_read(const struct device *d, const char *attr)
{
	char path[PATH_MAX], text[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/seed/%s", d->uuid, attr);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (!fgets(text, sizeof(text), f))
		text[0] = 0;
	fclose(f);
	return text[0] ? atoll(text) : -1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void display(const char *uuid)
{
	struct device d;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), rc;
	long long before, after;
	uint64_t got = 0, v;
	double t0, t1;

	memset(&d, 0, sizeof(d));
	d.fd = d.group = d.container = -1;
	if (efd < 0 || open_device(&d, uuid)) {
		check(0, "%s: device opened with an eventfd", uuid);
		close_device(&d);
		return;
	}
	rc = sysfs_write(&d, "raise_display_irq", "1");
	check(rc == ENXIO, "%s raise_display_irq with no trigger bound: %s (want ENXIO)", uuid, strerror(rc));
	rc = bind_display(d.fd, efd);
	check(rc == 0, "%s SET_IRQS index 5 TRIGGER|EVENTFD: %s", uuid, rc ? strerror(rc) : "0");

	rc = set_irqs(d.fd, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, DISPLAY_INDEX, 0, 1, NULL, 0);
	v = wait_eventfd(efd, 2000);
	check(rc == 0 && v == 1, "%s loopback TRIGGER|NONE: rc %d, eventfd %llu (want 1)", uuid, rc,
	      (unsigned long long)v);

	before = sysfs_read(&d, "display_irq_count");
	rc = sysfs_write(&d, "raise_display_irq", "1");
	v = wait_eventfd(efd, 2000);
	after = sysfs_read(&d, "display_irq_count");
	check(rc == 0 && v == 1 && after == before + 1,
	      "%s raise_display_irq: %s, eventfd %llu, display_irq_count %lld -> %lld (want 1 signal)", uuid,
	      rc ? strerror(rc) : "0", (unsigned long long)v, before, after);

	/* The vblank timer: at 50 Hz, ten signals arrive within a few seconds even under emulation. */
	before = sysfs_read(&d, "display_irq_count");
	rc = sysfs_write(&d, "vblank_hz", "50");
	t0 = now();
	while (got < 10 && now() - t0 < 10)
		got += wait_eventfd(efd, 500);
	t1 = now();
	sysfs_write(&d, "vblank_hz", "0");
	wait_eventfd(efd, 100);	/* drain what came before the timer stopped */
	after = sysfs_read(&d, "display_irq_count");
	check(rc == 0 && got >= 10 && after - before >= 10,
	      "%s vblank_hz 50: %llu signals in %.2f s (%.1f/s), display_irq_count +%lld (want >= 10)", uuid,
	      (unsigned long long)got, t1 - t0, got / (t1 - t0), after - before);
	v = wait_eventfd(efd, 300);
	check(v == 0, "%s vblank_hz 0: no signal in 300 ms (got %llu)", uuid, (unsigned long long)v);

	rc = set_irqs(d.fd, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, DISPLAY_INDEX, 0, 1, NULL, 0);
	check(rc == ENOTTY, "%s MASK on index 5: %s (want ENOTTY)", uuid, strerror(rc));

	rc = bind_display(d.fd, -1);
	check(rc == 0 && sysfs_write(&d, "raise_display_irq", "1") == ENXIO && wait_eventfd(efd, 200) == 0,
	      "%s eventfd -1 unbinds: raise_display_irq then ENXIO, nothing signalled", uuid);

	/* Closing the device releases the trigger. */
	rc = bind_display(d.fd, efd);
	close(d.fd);
	d.fd = -1;
	check(rc == 0 && sysfs_write(&d, "raise_display_irq", "1") == ENXIO && wait_eventfd(efd, 200) == 0,
	      "%s close releases the trigger: raise_display_irq then ENXIO", uuid);
	close_device(&d);
	close(efd);
}

/* ---- sweep: every answer as bytes, for comparing with the mock ---- */

#define SWEEP_BYTES 72

/*
 * One INFO ioctl at one argsz: the buffer is 0xa5 except argsz at 0 and the index at its offset (8 for IRQ and
 * region info); prints "<what> <index> <argsz> <rc> <errno> <72 bytes hex>".
 */
static void sweep_one(int fd, unsigned long request, const char *what, uint32_t index, uint32_t argsz)
{
	unsigned char buf[BUF_SIZE];
	int rc, err, j;

	memset(buf, GUARD, sizeof(buf));
	memcpy(buf, &argsz, 4);
	memcpy(buf + 8, &index, 4);
	rc = ioctl(fd, request, buf);
	err = rc < 0 ? errno : 0;
	printf("%s %u %u %d %d ", what, index, argsz, rc, err);
	for (j = 0; j < SWEEP_BYTES; j++)
		printf("%02x", buf[j]);
	putchar('\n');
}

static void sweep(const char *uuid)
{
	static const uint32_t extra[] = { 0xffffffffu };
	struct device d;
	uint32_t index, argsz;

	if (open_device(&d, uuid)) {
		close_device(&d);
		failed++;
		return;
	}
	printf("sweep %s %s\n", uuid, d.type);
	for (argsz = 0; argsz <= 64; argsz++)
		sweep_one(d.fd, VFIO_DEVICE_GET_INFO, "info", 0xa5a5a5a5u, argsz);
	for (index = 0; index <= 8; index++)
		for (argsz = 0; argsz <= 64; argsz++)
			sweep_one(d.fd, VFIO_DEVICE_GET_IRQ_INFO, "irq", index == 8 ? extra[0] : index, argsz);
	for (index = 0; index <= 11; index++)
		for (argsz = 0; argsz <= 64; argsz++)
			sweep_one(d.fd, VFIO_DEVICE_GET_REGION_INFO, "region", index == 11 ? extra[0] : index, argsz);
	close_device(&d);
}

/* ---- dump ---- */

static void dump(const char *uuid)
{
	struct device d;
	uint32_t sizes[4], argsz;
	unsigned char buf[BUF_SIZE];
	int i, rc;
	size_t j, n;

	if (open_device(&d, uuid)) {
		close_device(&d);
		failed++;
		return;
	}
	sizes[0] = 16;
	sizes[1] = 20;
	sizes[2] = 24;
	sizes[3] = display_size(&d);
	for (i = 0; i < 4; i++) {
		argsz = sizes[i];
		memset(buf, GUARD, sizeof(buf));
		memset(buf, 0, argsz);
		memcpy(buf, &argsz, 4);
		buf[8] = DISPLAY_INDEX;
		rc = ioctl(d.fd, VFIO_DEVICE_GET_IRQ_INFO, buf);
		n = argsz + 8 <= sizeof(buf) ? argsz + 8 : sizeof(buf);
		printf("dump %s %s index 5 argsz %u: rc %d (buffer zeroed to argsz, guard 0x%02x after it)\n", uuid,
		       d.type, argsz, rc, GUARD);
		for (j = 0; j < n; j++)
			printf("%s%02x%s", j % 16 ? "" : "  ", buf[j], j % 16 == 15 || j == n - 1 ? "\n" : " ");
	}
	close_device(&d);
}

int main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3 || (strcmp(argv[1], "old-abi") && strcmp(argv[1], "display") && strcmp(argv[1], "dump") &&
			 strcmp(argv[1], "sweep"))) {
		fprintf(stderr, "usage: seed_mdev_check old-abi|display|dump|sweep UUID...\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[1], "old-abi")) {
			struct device d;

			if (open_device(&d, argv[i]))
				check(0, "%s: opened through its group", argv[i]);
			else
				old_abi(&d);
			close_device(&d);
		} else if (!strcmp(argv[1], "display")) {
			display(argv[i]);
		} else if (!strcmp(argv[1], "dump")) {
			dump(argv[i]);
		} else {
			sweep(argv[i]);
		}
	}
	if (!strcmp(argv[1], "old-abi"))
		printf("kernel lane old-abi: %d passed, %d failed\n", passed, failed);
	else if (!strcmp(argv[1], "display"))
		printf("kernel lane mdev-irq: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
