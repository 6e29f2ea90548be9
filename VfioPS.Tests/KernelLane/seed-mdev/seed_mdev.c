// SPDX-License-Identifier: GPL-2.0
/*
 * seed_mdev - a reference mdev parent driver for the "seed" device-specific VFIO IRQ ABI.
 *
 * The seed proposal (vfio: "Use capability chains to handle device specific irq", v4-v6, never merged) appends
 * __u32 cap_offset after count in struct vfio_irq_info, adds VFIO_IRQ_INFO_FLAG_CAPS (1 << 4) and describes an IRQ
 * index >= 5 with a capability chain whose VFIO_IRQ_INFO_CAP_TYPE capability (id 3) names its type and subtype
 * (GFX 1 / DISPLAY_IRQ 1). The VFIO core passes GET_IRQ_INFO and SET_IRQS through to the device's driver, so an
 * mdev parent can answer the seed ABI on a stock kernel; this module does, for the VfioPS kernel lane.
 *
 * One parent device (/sys/devices/virtual/seed_mdev/seed_mdev) with two mdev types:
 *   "display": num_irqs 6; INTx and MSI as a PCI device answers them, MSI-X/ERR/REQ refused (EINVAL), index 5
 *              the display IRQ with the chain [TYPE id 3 v1: type 1, subtype 1] at offset 24;
 *   "chain":   the same, but index 5 carries three capabilities: TYPE, the v5 seed's DISPLAY (id 4: u64
 *              cur_event_val 1, u64 pri_event_val 2) and an unknown id 99 with the 8 bytes "SEED-MDV".
 * The negotiation is the one the review settled on: minsz stays 16; a buffer too small for the chain gets flags
 * (with CAPS), index and count at their old offsets, argsz raised to the size needed, cap_offset 0 only when argsz
 * reaches it (20), and nothing past the caller's argsz. Indexes without capabilities are answered with 16 bytes.
 *
 * Every instance raises its display IRQ by itself: while index 5 has a trigger, a "vblank" hrtimer signals it
 * vblank_hz times a second (sysfs, default 0 = off), and writing raise_display_irq signals it once.
 */
#include <linux/module.h>
#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#define SEED_NAME "seed_mdev"

/* The seed ABI, absent from the mainline uapi header. */
#define SEED_IRQ_INFO_FLAG_CAPS		(1 << 4)
#define SEED_IRQ_INFO_CAP_TYPE		3
#define SEED_IRQ_INFO_CAP_DISPLAY	4	/* the v5 posting's plane-events capability */
#define SEED_IRQ_TYPE_GFX		1
#define SEED_IRQ_SUBTYPE_GFX_DISPLAY_IRQ 1
#define SEED_CAP_UNKNOWN		99	/* an id no reader knows: readers must skip it by next */

#define SEED_DISPLAY_IRQ_INDEX		5
#define SEED_NUM_IRQS			6
#define SEED_NUM_REGIONS		VFIO_PCI_NUM_REGIONS
#define SEED_CONFIG_SIZE		256
#define SEED_OFFSET_SHIFT		40	/* vfio-pci's VFIO_PCI_OFFSET_SHIFT: region N at N << 40 */
#define SEED_MAX_INSTANCES		4	/* per type */
#define SEED_MAX_VBLANK_HZ		1000

/*
 * struct vfio_irq_info as the seed extends it: cap_offset appended at 16. The u32 pad puts the first capability at
 * 24, 8-byte aligned as vfio_info_cap_shift() wants since "vfio: align capability structures" (the way
 * struct vfio_device_info got its pad).
 */
struct seed_irq_info {
	__u32 argsz;
	__u32 flags;
	__u32 index;
	__u32 count;
	__u32 cap_offset;
	__u32 pad;
};

struct seed_irq_info_cap_type {
	struct vfio_info_cap_header header;
	__u32 type;
	__u32 subtype;
};

struct seed_irq_info_cap_display {
	struct vfio_info_cap_header header;
	__u64 cur_event_val;
	__u64 pri_event_val;
};

struct seed_irq_info_cap_unknown {
	struct vfio_info_cap_header header;
	__u8 data[8];
};

struct seed_type {
	struct mdev_type type;
	const char *description;
	bool full_chain;	/* "chain": TYPE + DISPLAY + unknown; "display": TYPE only */
	atomic_t available;
};

enum seed_irq_mode { SEED_IRQ_NONE, SEED_IRQ_INTX, SEED_IRQ_MSI };

struct seed_state {
	struct vfio_device vdev;	/* first: vfio_alloc_device requires it */
	struct seed_type *type;
	/* Serialises ioctls, open/close and the sysfs attributes, as vfio-pci's igate does. */
	struct mutex lock;
	/*
	 * irq_lock guards the trigger slots and the signal count (the timer signals in hard-irq context); eventfds are
	 * signalled under it. intx_lock guards mode and the INTx mask, which the resample eventfd's wakeup changes:
	 * a separate lock, since that wakeup runs inside an eventfd_signal() when one eventfd is both a trigger and
	 * the resample fd (irq_lock -> eventfd wait queue -> intx_lock; never the other way).
	 */
	spinlock_t irq_lock;
	spinlock_t intx_lock;
	enum seed_irq_mode mode;
	struct eventfd_ctx *intx_trigger;
	bool intx_masked;
	struct virqfd *intx_unmask;	/* the resample eventfd: a write unmasks */
	struct eventfd_ctx *msi_trigger[1];
	unsigned int msi_nvec;
	struct eventfd_ctx *display_trigger[1];
	struct hrtimer vblank;
	unsigned int vblank_hz;
	ktime_t vblank_period;
	u64 display_signals;	/* eventfd signals sent on index 5, from any source */
};

/* A PCI header for the config region: 1234:5eed, class 0x038000 (other display controller), INTA, MSI at 0x40. */
static const u8 seed_config[64 + 12] = {
	[0x00] = 0x34, [0x01] = 0x12, [0x02] = 0xed, [0x03] = 0x5e,	/* vendor, device */
	[0x06] = 0x10,							/* status: capability list */
	[0x08] = 0x01,							/* revision */
	[0x0a] = 0x80, [0x0b] = 0x03,					/* class: display, other */
	[0x2c] = 0x34, [0x2d] = 0x12, [0x2e] = 0xed, [0x2f] = 0x5e,	/* subsystem */
	[0x34] = 0x40,							/* capabilities pointer */
	[0x3d] = 0x01,							/* interrupt pin: INTA */
	[0x40] = 0x05, [0x41] = 0x00, [0x42] = 0x00, [0x43] = 0x00,	/* MSI: 1 vector, 32-bit, last */
};

static struct seed_device {
	struct device dev;
	struct class *class;
	struct mdev_parent parent;
} seed_dev;

/* ---- the display IRQ and its vblank timer ---- */

/* Signals index 5's trigger, if bound; called with irq_lock held. */
static bool seed_display_signal_locked(struct seed_state *s)
{
	if (!s->display_trigger[0])
		return false;
	eventfd_signal(s->display_trigger[0], 1);
	s->display_signals++;
	return true;
}

static bool seed_display_signal(struct seed_state *s)
{
	unsigned long flags;
	bool sent;

	spin_lock_irqsave(&s->irq_lock, flags);
	sent = seed_display_signal_locked(s);
	spin_unlock_irqrestore(&s->irq_lock, flags);
	return sent;
}

static enum hrtimer_restart seed_vblank_fire(struct hrtimer *t)
{
	struct seed_state *s = container_of(t, struct seed_state, vblank);
	unsigned long flags;
	bool again;

	spin_lock_irqsave(&s->irq_lock, flags);
	again = seed_display_signal_locked(s) && s->vblank_period;
	if (again)
		hrtimer_forward_now(t, s->vblank_period);
	spin_unlock_irqrestore(&s->irq_lock, flags);
	return again ? HRTIMER_RESTART : HRTIMER_NORESTART;
}

/* Runs the timer exactly while index 5 has a trigger and vblank_hz > 0; called with lock held. */
static void seed_vblank_update(struct seed_state *s)
{
	unsigned long flags;
	bool run;

	hrtimer_cancel(&s->vblank);
	spin_lock_irqsave(&s->irq_lock, flags);
	s->vblank_period = s->vblank_hz ? ns_to_ktime(NSEC_PER_SEC / s->vblank_hz) : 0;
	run = s->display_trigger[0] && s->vblank_period;
	spin_unlock_irqrestore(&s->irq_lock, flags);
	if (run)
		hrtimer_start(&s->vblank, s->vblank_period, HRTIMER_MODE_REL);
}

/* ---- SET_IRQS: trigger slots ---- */

/* Resolves an eventfd for a trigger: EBADF for no such fd, EINVAL for an fd that is not an eventfd; fd < 0: none. */
static int seed_fdget(s32 fd, struct eventfd_ctx **ctx)
{
	struct eventfd_ctx *c;

	*ctx = NULL;
	if (fd < 0)
		return 0;
	c = eventfd_ctx_fdget(fd);
	if (IS_ERR(c))
		return PTR_ERR(c);
	*ctx = c;
	return 0;
}

/* Puts ctx (may be NULL) in slot and drops what the slot held. */
static void seed_swap_slot(struct seed_state *s, struct eventfd_ctx **slot, struct eventfd_ctx *ctx)
{
	struct eventfd_ctx *old;
	unsigned long flags;

	spin_lock_irqsave(&s->irq_lock, flags);
	old = *slot;
	*slot = ctx;
	spin_unlock_irqrestore(&s->irq_lock, flags);
	if (old)
		eventfd_ctx_put(old);
}

/*
 * Binds slot to the eventfd fd, releasing what it held first, so a bad fd leaves it unbound (as vfio-pci's
 * vfio_msi_set_vector_signal does); a negative fd only releases.
 */
static int seed_set_slot(struct seed_state *s, struct eventfd_ctx **slot, s32 fd)
{
	struct eventfd_ctx *ctx;
	int ret = seed_fdget(fd, &ctx);

	seed_swap_slot(s, slot, ctx);
	return ret;
}

static void seed_signal(struct seed_state *s, struct eventfd_ctx *const *slot)
{
	unsigned long flags;

	spin_lock_irqsave(&s->irq_lock, flags);
	if (*slot)
		eventfd_signal(*slot, 1);
	spin_unlock_irqrestore(&s->irq_lock, flags);
}

/* ---- INTx, as vfio_pci_intrs.c keeps it (the device never asserts the line itself) ---- */

static int seed_intx_unmask_handler(void *opaque, void *unused)
{
	struct seed_state *s = opaque;
	unsigned long flags;

	spin_lock_irqsave(&s->intx_lock, flags);
	if (s->mode == SEED_IRQ_INTX)
		s->intx_masked = false;
	spin_unlock_irqrestore(&s->intx_lock, flags);
	return 0;
}

static void seed_intx_set_masked(struct seed_state *s, bool masked)
{
	unsigned long flags;

	spin_lock_irqsave(&s->intx_lock, flags);
	s->intx_masked = masked;
	spin_unlock_irqrestore(&s->intx_lock, flags);
}

static void seed_set_mode(struct seed_state *s, enum seed_irq_mode mode)
{
	unsigned long flags;

	spin_lock_irqsave(&s->intx_lock, flags);
	s->mode = mode;
	s->intx_masked = false;
	spin_unlock_irqrestore(&s->intx_lock, flags);
}

static void seed_intx_disable(struct seed_state *s)
{
	vfio_virqfd_disable(&s->intx_unmask);
	seed_set_slot(s, &s->intx_trigger, -1);
	seed_set_mode(s, SEED_IRQ_NONE);
}

static int seed_intx_mask(struct seed_state *s, u32 start, u32 count, u32 dtype, const u8 *data)
{
	if (s->mode != SEED_IRQ_INTX || start != 0 || count != 1)
		return -EINVAL;
	if (dtype == VFIO_IRQ_SET_DATA_NONE || (dtype == VFIO_IRQ_SET_DATA_BOOL && data[0]))
		seed_intx_set_masked(s, true);
	else if (dtype == VFIO_IRQ_SET_DATA_EVENTFD)
		return -ENOTTY;	/* vfio-pci: "XXX implement me" */
	return 0;
}

static int seed_intx_unmask(struct seed_state *s, u32 start, u32 count, u32 dtype, const u8 *data)
{
	s32 fd;

	if (s->mode != SEED_IRQ_INTX || start != 0 || count != 1)
		return -EINVAL;
	if (dtype == VFIO_IRQ_SET_DATA_NONE || (dtype == VFIO_IRQ_SET_DATA_BOOL && data[0])) {
		seed_intx_set_masked(s, false);
	} else if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		fd = *(const s32 *)data;
		if (fd >= 0)
			return vfio_virqfd_enable(s, seed_intx_unmask_handler, NULL, NULL, &s->intx_unmask, fd);
		vfio_virqfd_disable(&s->intx_unmask);
	}
	return 0;
}

static int seed_intx_trigger(struct seed_state *s, u32 start, u32 count, u32 dtype, const u8 *data)
{
	struct eventfd_ctx *ctx;
	int ret;

	if (s->mode == SEED_IRQ_INTX && count == 0 && dtype == VFIO_IRQ_SET_DATA_NONE) {
		seed_intx_disable(s);
		return 0;
	}
	if (!(s->mode == SEED_IRQ_INTX || s->mode == SEED_IRQ_NONE) || start != 0 || count != 1)
		return -EINVAL;
	if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		ret = seed_fdget(*(const s32 *)data, &ctx);
		if (ret)
			return ret;
		if (s->mode != SEED_IRQ_INTX)
			seed_set_mode(s, SEED_IRQ_INTX);
		seed_swap_slot(s, &s->intx_trigger, ctx);	/* fd -1 keeps INTx enabled without a trigger */
		return 0;
	}
	if (s->mode != SEED_IRQ_INTX)
		return -EINVAL;
	/* Loopback: vfio_send_intx_eventfd does not look at the mask. */
	if (dtype == VFIO_IRQ_SET_DATA_NONE || data[0])
		seed_signal(s, &s->intx_trigger);
	return 0;
}

/* ---- MSI (one vector), as vfio-pci 6.1 keeps it ---- */

static void seed_msi_disable(struct seed_state *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(s->msi_trigger); i++)
		seed_set_slot(s, &s->msi_trigger[i], -1);
	s->msi_nvec = 0;
	seed_set_mode(s, SEED_IRQ_NONE);
}

/* vfio_msi_set_block: bind [start, start + count); on failure, release what this call touched. */
static int seed_msi_set_block(struct seed_state *s, u32 start, u32 count, const u8 *data)
{
	const s32 *fds = (const s32 *)data;
	u32 i, j;
	int ret;

	if (start >= s->msi_nvec || start + count > s->msi_nvec)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		ret = seed_set_slot(s, &s->msi_trigger[start + i], fds[i]);
		if (ret) {
			for (j = start; j <= start + i; j++)
				seed_set_slot(s, &s->msi_trigger[j], -1);
			return ret;
		}
	}
	return 0;
}

static int seed_msi_trigger(struct seed_state *s, u32 start, u32 count, u32 dtype, const u8 *data)
{
	u32 i, nvec;
	int ret;

	if (s->mode == SEED_IRQ_MSI && count == 0 && dtype == VFIO_IRQ_SET_DATA_NONE) {
		seed_msi_disable(s);
		return 0;
	}
	if (!(s->mode == SEED_IRQ_MSI || s->mode == SEED_IRQ_NONE))
		return -EINVAL;
	if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		if (s->mode == SEED_IRQ_MSI)
			return seed_msi_set_block(s, start, count, data);
		nvec = start + count;
		if (nvec == 0)
			return -ERANGE;	/* pci_alloc_irq_vectors(pdev, 1, 0, ...) */
		if (nvec > ARRAY_SIZE(s->msi_trigger))
			return -EINVAL;	/* not reached: validation bounds it by the index's count */
		s->msi_nvec = nvec;
		seed_set_mode(s, SEED_IRQ_MSI);
		ret = seed_msi_set_block(s, start, count, data);
		if (ret)
			seed_msi_disable(s);
		return ret;
	}
	if (s->mode != SEED_IRQ_MSI || start + count > s->msi_nvec)
		return -EINVAL;
	for (i = start; i < start + count; i++)
		if (dtype == VFIO_IRQ_SET_DATA_NONE || data[i - start])
			seed_signal(s, &s->msi_trigger[i]);
	return 0;
}

/* ---- index 5, the display IRQ: TRIGGER with EVENTFD, NONE or BOOL (the seed's series) ---- */

static void seed_display_release(struct seed_state *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(s->display_trigger); i++)
		seed_set_slot(s, &s->display_trigger[i], -1);
}

static int seed_display_trigger(struct seed_state *s, u32 start, u32 count, u32 dtype, const u8 *data)
{
	const s32 *fds = (const s32 *)data;
	u32 i, j;
	int ret = 0;

	if (count == 0 && dtype == VFIO_IRQ_SET_DATA_NONE) {
		seed_display_release(s);
	} else if (dtype == VFIO_IRQ_SET_DATA_EVENTFD) {
		for (i = 0; i < count; i++) {
			ret = seed_set_slot(s, &s->display_trigger[start + i], fds[i]);
			if (ret) {
				for (j = start; j < start + i; j++)
					seed_set_slot(s, &s->display_trigger[j], -1);
				break;
			}
		}
	} else {
		for (i = start; i < start + count; i++)
			if (dtype == VFIO_IRQ_SET_DATA_NONE || data[i - start])
				seed_display_signal(s);
	}
	seed_vblank_update(s);
	return ret;
}

/* ---- ioctls ---- */

static u32 seed_irq_count(u32 index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
	case VFIO_PCI_MSI_IRQ_INDEX:
	case SEED_DISPLAY_IRQ_INDEX:
		return 1;
	default:
		return 0;	/* MSI-X, ERR, REQ: refused, as kvmgt refuses them */
	}
}

static long seed_set_irqs(struct seed_state *s, void __user *arg)
{
	const unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	u32 action, dtype;
	u8 *data = NULL;
	int ret;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, seed_irq_count(hdr.index), SEED_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = memdup_user(arg + minsz, data_size);
		if (IS_ERR(data))
			return PTR_ERR(data);
	}
	action = hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	dtype = hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	mutex_lock(&s->lock);
	switch (hdr.index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		switch (action) {
		case VFIO_IRQ_SET_ACTION_MASK:
			ret = seed_intx_mask(s, hdr.start, hdr.count, dtype, data);
			break;
		case VFIO_IRQ_SET_ACTION_UNMASK:
			ret = seed_intx_unmask(s, hdr.start, hdr.count, dtype, data);
			break;
		case VFIO_IRQ_SET_ACTION_TRIGGER:
			ret = seed_intx_trigger(s, hdr.start, hdr.count, dtype, data);
			break;
		default:
			ret = -ENOTTY;	/* no action bit, or several */
		}
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
		ret = action == VFIO_IRQ_SET_ACTION_TRIGGER ?
			seed_msi_trigger(s, hdr.start, hdr.count, dtype, data) : -ENOTTY;
		break;
	case SEED_DISPLAY_IRQ_INDEX:
		/* No masking for the display IRQ (the seed's series offers TRIGGER only). */
		ret = action == VFIO_IRQ_SET_ACTION_TRIGGER ?
			seed_display_trigger(s, hdr.start, hdr.count, dtype, data) : -ENOTTY;
		break;
	default:
		ret = -EINVAL;	/* not reached: validation refuses indexes with count 0 */
	}
	mutex_unlock(&s->lock);
	kfree(data);
	return ret;
}

/* Builds index 5's chain with the core's helpers, rebased to follow the 24-byte seed_irq_info. */
static int seed_display_caps(struct seed_state *s, struct vfio_info_cap *caps)
{
	struct vfio_info_cap_header *hdr;
	struct seed_irq_info_cap_type *type;
	struct seed_irq_info_cap_display *display;
	struct seed_irq_info_cap_unknown *unknown;

	hdr = vfio_info_cap_add(caps, sizeof(*type), SEED_IRQ_INFO_CAP_TYPE, 1);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	type = container_of(hdr, struct seed_irq_info_cap_type, header);
	type->type = SEED_IRQ_TYPE_GFX;
	type->subtype = SEED_IRQ_SUBTYPE_GFX_DISPLAY_IRQ;
	if (s->type->full_chain) {
		hdr = vfio_info_cap_add(caps, sizeof(*display), SEED_IRQ_INFO_CAP_DISPLAY, 1);
		if (IS_ERR(hdr))
			return PTR_ERR(hdr);
		display = container_of(hdr, struct seed_irq_info_cap_display, header);
		display->cur_event_val = 1;
		display->pri_event_val = 2;
		hdr = vfio_info_cap_add(caps, sizeof(*unknown), SEED_CAP_UNKNOWN, 1);
		if (IS_ERR(hdr))
			return PTR_ERR(hdr);
		unknown = container_of(hdr, struct seed_irq_info_cap_unknown, header);
		memcpy(unknown->data, "SEED-MDV", sizeof(unknown->data));
	}
	vfio_info_cap_shift(caps, sizeof(struct seed_irq_info));
	return 0;
}

static long seed_get_irq_info(struct seed_state *s, void __user *arg)
{
	const unsigned long minsz = offsetofend(struct seed_irq_info, count);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct seed_irq_info info = {};
	u32 required;
	long ret = 0;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	switch (info.index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		info.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
		info.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
		break;
	case SEED_DISPLAY_IRQ_INDEX:
		info.flags = VFIO_IRQ_INFO_EVENTFD | SEED_IRQ_INFO_FLAG_CAPS;
		break;
	default:
		return -EINVAL;
	}
	info.count = seed_irq_count(info.index);
	if (!(info.flags & SEED_IRQ_INFO_FLAG_CAPS))
		return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;

	ret = seed_display_caps(s, &caps);
	if (ret)
		goto out;
	required = sizeof(info) + caps.size;
	if (info.argsz >= required) {
		info.cap_offset = sizeof(info);
		if (copy_to_user(arg, &info, sizeof(info)) ||
		    copy_to_user(arg + sizeof(info), caps.buf, caps.size))
			ret = -EFAULT;
	} else {
		/* Too small: the size needed, cap_offset 0 where argsz reaches it, nothing past argsz. */
		unsigned long reach = info.argsz >= offsetofend(struct seed_irq_info, cap_offset) ?
			offsetofend(struct seed_irq_info, cap_offset) : minsz;

		info.argsz = required;
		info.cap_offset = 0;
		if (copy_to_user(arg, &info, reach))
			ret = -EFAULT;
	}
out:
	kfree(caps.buf);
	return ret;
}

static long seed_get_info(void __user *arg)
{
	const unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info = {};

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI;
	info.num_regions = SEED_NUM_REGIONS;
	info.num_irqs = SEED_NUM_IRQS;
	info.cap_offset = 0;
	/* 6.1's vfio-pci copies min(argsz, sizeof) back: 20 bytes with this kernel's header (no pad yet). */
	return copy_to_user(arg, &info, min_t(u32, info.argsz, sizeof(info))) ? -EFAULT : 0;
}

static long seed_get_region_info(void __user *arg)
{
	const unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= SEED_NUM_REGIONS)
		return -EINVAL;
	/*
	 * Only the config space is there; every BAR, the ROM and VGA answer size 0 (as kvmgt's empty BARs do). No region
	 * has capabilities, so cap_offset goes back as the caller wrote it, as vfio-pci copies it back.
	 */
	info.offset = (u64)info.index << SEED_OFFSET_SHIFT;
	if (info.index == VFIO_PCI_CONFIG_REGION_INDEX) {
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		info.size = SEED_CONFIG_SIZE;
	} else {
		info.flags = 0;
		info.size = 0;
	}
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long seed_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg)
{
	struct seed_state *s = container_of(vdev, struct seed_state, vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return seed_get_info((void __user *)arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return seed_get_region_info((void __user *)arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return seed_get_irq_info(s, (void __user *)arg);
	case VFIO_DEVICE_SET_IRQS:
		return seed_set_irqs(s, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

/* ---- region I/O: the config space reads as seed_config (zero past it); writes are dropped ---- */

static ssize_t seed_rw(loff_t *ppos, size_t count, char __user *rbuf)
{
	u64 index = (u64)*ppos >> SEED_OFFSET_SHIFT;
	u64 pos = (u64)*ppos & ((1ULL << SEED_OFFSET_SHIFT) - 1);
	u8 bytes[SEED_CONFIG_SIZE] = {};

	if (!count)
		return 0;
	if (index >= SEED_NUM_REGIONS || index != VFIO_PCI_CONFIG_REGION_INDEX)
		return -EINVAL;
	if (pos >= SEED_CONFIG_SIZE || count > SEED_CONFIG_SIZE - pos)
		return -EFAULT;
	if (rbuf) {
		memcpy(bytes, seed_config, sizeof(seed_config));
		if (copy_to_user(rbuf, bytes + pos, count))
			return -EFAULT;
	}
	*ppos += count;
	return count;
}

static ssize_t seed_read(struct vfio_device *vdev, char __user *buf, size_t count, loff_t *ppos)
{
	return seed_rw(ppos, count, buf);
}

static ssize_t seed_write(struct vfio_device *vdev, const char __user *buf, size_t count, loff_t *ppos)
{
	return seed_rw(ppos, count, NULL);
}

/* ---- lifetime ---- */

static void seed_release_irqs(struct seed_state *s)
{
	mutex_lock(&s->lock);
	if (s->mode == SEED_IRQ_INTX)
		seed_intx_disable(s);
	else if (s->mode == SEED_IRQ_MSI)
		seed_msi_disable(s);
	seed_display_release(s);
	seed_vblank_update(s);
	mutex_unlock(&s->lock);
}

static void seed_close_device(struct vfio_device *vdev)
{
	seed_release_irqs(container_of(vdev, struct seed_state, vdev));
}

static int seed_init_dev(struct vfio_device *vdev)
{
	struct seed_state *s = container_of(vdev, struct seed_state, vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct seed_type *type = container_of(mdev->type, struct seed_type, type);

	/* The core does not count instances for a driver with get_available: take one of the type's here. */
	if (!atomic_add_unless(&type->available, -1, 0))
		return -EUSERS;
	s->type = type;
	mutex_init(&s->lock);
	spin_lock_init(&s->irq_lock);
	spin_lock_init(&s->intx_lock);
	hrtimer_init(&s->vblank, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	s->vblank.function = seed_vblank_fire;
	return 0;
}

static void seed_release_dev(struct vfio_device *vdev)
{
	struct seed_state *s = container_of(vdev, struct seed_state, vdev);

	atomic_inc(&s->type->available);
	mutex_destroy(&s->lock);
	vfio_free_device(vdev);	/* 6.1: the driver's release frees the vfio_device */
}

static const struct vfio_device_ops seed_dev_ops = {
	.name = "vfio-seed-mdev",
	.init = seed_init_dev,
	.release = seed_release_dev,
	.close_device = seed_close_device,
	.read = seed_read,
	.write = seed_write,
	.ioctl = seed_ioctl,
};

static int seed_probe(struct mdev_device *mdev)
{
	struct seed_state *s;
	int ret;

	s = vfio_alloc_device(seed_state, vdev, &mdev->dev, &seed_dev_ops);
	if (IS_ERR(s))
		return PTR_ERR(s);
	ret = vfio_register_emulated_iommu_dev(&s->vdev);
	if (ret) {
		vfio_put_device(&s->vdev);
		return ret;
	}
	dev_set_drvdata(&mdev->dev, s);
	return 0;
}

static void seed_remove(struct mdev_device *mdev)
{
	struct seed_state *s = dev_get_drvdata(&mdev->dev);

	/* Waits for every fd of the device to close (close_device released the IRQs); the timer is stopped then. */
	vfio_unregister_group_dev(&s->vdev);
	seed_release_irqs(s);
	vfio_put_device(&s->vdev);
}

/* ---- sysfs on each instance: seed/vblank_hz, seed/raise_display_irq, seed/display_irq_count ---- */

static ssize_t vblank_hz_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct seed_state *s = dev_get_drvdata(dev);
	unsigned int hz;

	mutex_lock(&s->lock);
	hz = s->vblank_hz;
	mutex_unlock(&s->lock);
	return sysfs_emit(buf, "%u\n", hz);
}

static ssize_t vblank_hz_store(struct device *dev, struct device_attribute *attr, const char *buf, size_t count)
{
	struct seed_state *s = dev_get_drvdata(dev);
	unsigned int hz;
	int ret;

	ret = kstrtouint(buf, 0, &hz);
	if (ret)
		return ret;
	if (hz > SEED_MAX_VBLANK_HZ)
		return -ERANGE;
	mutex_lock(&s->lock);
	s->vblank_hz = hz;
	seed_vblank_update(s);
	mutex_unlock(&s->lock);
	return count;
}
static DEVICE_ATTR_RW(vblank_hz);

static ssize_t raise_display_irq_store(struct device *dev, struct device_attribute *attr, const char *buf,
				       size_t count)
{
	struct seed_state *s = dev_get_drvdata(dev);
	bool sent;

	mutex_lock(&s->lock);
	sent = seed_display_signal(s);
	mutex_unlock(&s->lock);
	return sent ? count : -ENXIO;	/* ENXIO: no trigger bound on index 5, nothing was signalled */
}
static DEVICE_ATTR_WO(raise_display_irq);

static ssize_t display_irq_count_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct seed_state *s = dev_get_drvdata(dev);
	unsigned long flags;
	u64 n;

	spin_lock_irqsave(&s->irq_lock, flags);
	n = s->display_signals;
	spin_unlock_irqrestore(&s->irq_lock, flags);
	return sysfs_emit(buf, "%llu\n", n);
}
static DEVICE_ATTR_RO(display_irq_count);

static struct attribute *seed_dev_attrs[] = {
	&dev_attr_vblank_hz.attr,
	&dev_attr_raise_display_irq.attr,
	&dev_attr_display_irq_count.attr,
	NULL,
};

static const struct attribute_group seed_dev_group = {
	.name = "seed",
	.attrs = seed_dev_attrs,
};

static const struct attribute_group *seed_dev_groups[] = {
	&seed_dev_group,
	NULL,
};

/* ---- types and the parent ---- */

static struct seed_type seed_types[] = {
	{
		.type.sysfs_name = "display",
		.type.pretty_name = "seed display",
		.description = "seed ABI: index 5 is a GFX/DISPLAY_IRQ interrupt described by one TYPE capability",
		.full_chain = false,
		.available = ATOMIC_INIT(SEED_MAX_INSTANCES),
	},
	{
		.type.sysfs_name = "chain",
		.type.pretty_name = "seed chain",
		.description = "seed ABI: index 5 carries TYPE, DISPLAY (id 4) and an unknown capability (id 99)",
		.full_chain = true,
		.available = ATOMIC_INIT(SEED_MAX_INSTANCES),
	},
};

static struct mdev_type *seed_mdev_types[] = {
	&seed_types[0].type,
	&seed_types[1].type,
};

static unsigned int seed_get_available(struct mdev_type *mtype)
{
	return atomic_read(&container_of(mtype, struct seed_type, type)->available);
}

static ssize_t seed_show_description(struct mdev_type *mtype, char *buf)
{
	return sysfs_emit(buf, "%s\n", container_of(mtype, struct seed_type, type)->description);
}

static struct mdev_driver seed_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = SEED_NAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = seed_dev_groups,
	},
	.probe = seed_probe,
	.remove = seed_remove,
	.get_available = seed_get_available,
	.show_description = seed_show_description,
};

static void seed_parent_release(struct device *dev)
{
}

static int __init seed_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct seed_irq_info) != 24);
	BUILD_BUG_ON(sizeof(struct seed_irq_info_cap_type) != 16);
	BUILD_BUG_ON(sizeof(struct seed_irq_info_cap_display) != 24);
	BUILD_BUG_ON(sizeof(struct seed_irq_info_cap_unknown) != 16);

	ret = mdev_register_driver(&seed_driver);
	if (ret)
		return ret;
	seed_dev.class = class_create(THIS_MODULE, SEED_NAME);
	if (IS_ERR(seed_dev.class)) {
		ret = PTR_ERR(seed_dev.class);
		goto err_driver;
	}
	seed_dev.dev.class = seed_dev.class;
	seed_dev.dev.release = seed_parent_release;
	dev_set_name(&seed_dev.dev, "%s", SEED_NAME);
	ret = device_register(&seed_dev.dev);
	if (ret)
		goto err_put;
	ret = mdev_register_parent(&seed_dev.parent, &seed_dev.dev, &seed_driver, seed_mdev_types,
				   ARRAY_SIZE(seed_mdev_types));
	if (ret)
		goto err_device;
	return 0;

err_device:
	device_del(&seed_dev.dev);
err_put:
	put_device(&seed_dev.dev);
	class_destroy(seed_dev.class);
err_driver:
	mdev_unregister_driver(&seed_driver);
	return ret;
}

static void __exit seed_exit(void)
{
	mdev_unregister_parent(&seed_dev.parent);
	device_unregister(&seed_dev.dev);
	class_destroy(seed_dev.class);
	mdev_unregister_driver(&seed_driver);
}

module_init(seed_init);
module_exit(seed_exit);

MODULE_LICENSE("GPL v2");
MODULE_DESCRIPTION("Reference mdev parent for the seed device-specific VFIO IRQ ABI (VfioPS kernel lane)");
