/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The entry layer of the syscall programs: from a socket call's exit to the
 * struct sock behind its file descriptor, for kernels without the socket
 * data tracepoints (before 6.3). The turn logic after it is the one every
 * set runs (on_data). Included by telltale.bpf.c, and by
 * bench/bpf/floor_walk.bpf.c to time its reads alone.
 *
 * The exit tracepoint has only the return value; the fd is the syscall's
 * first argument, still in the registers the task saved at entry, read
 * through bpf_task_pt_regs (5.15). That is one kernel call, where carrying
 * the fd from an enter program to the exit would take a map update, a
 * lookup and a delete per call, and a second program run.
 *
 * fd -> struct file -> struct socket -> struct sock through the task's file
 * table. With bpf_rdonly_cast (6.2) every step is a load the verifier turns
 * into an exception-protected one (no call), and the file's inode mode tells
 * a socket from the rest after four loads (fd table, slot, file, inode),
 * before the socket is touched. Without it every step past the fd table is
 * a bpf_probe_read_kernel, a kernel call: beside the tp_btf programs three
 * (the slot, the file's span, the socket's span, fd_sock_span), beside the
 * classic ones one per field (fd_sock_read), and before 5.15 spans again
 * (fd_sock_stack).
 */
#ifndef TT_FD_BPF_H
#define TT_FD_BPF_H

#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* The saved user registers of the calling task. */
static __always_inline struct pt_regs *sys_regs(struct task_struct *task)
{
	return (struct pt_regs *)bpf_task_pt_regs(task);
}

/* The task's fd table, or NULL when fd is past its end (closed meanwhile,
 * or never open: the loads below would read past the array). */
static __always_inline struct fdtable *fd_table(struct task_struct *task, __u32 fd)
{
	struct fdtable *fdt = task->files->fdt;

	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	return fdt;
}

/*
 * The socket of fd as a typed pointer, every step a load. fdt->fd is a
 * pointer to pointers, which the verifier gives us as a number: the slot's
 * address is cast to a struct whose only field is a pointer (llist_node,
 * unchanged since 2.6) to load the file's address, which is cast in turn.
 */
static __always_inline struct sock *fd_sock_btf(struct task_struct *task, __u32 fd)
{
	struct fdtable *fdt = fd_table(task, fd);
	struct llist_node *slot;
	struct socket *sock;
	struct file *f;

	if (!fdt)
		return NULL;
	slot = bpf_rdonly_cast((void *)((__u64)fdt->fd + fd * sizeof(void *)),
			       bpf_core_type_id_kernel(struct llist_node));
	f = bpf_rdonly_cast(slot->next, bpf_core_type_id_kernel(struct file));
	if (!f || (f->f_inode->i_mode & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
	if (sock->type != SOCK_STREAM)
		return NULL;
	return sock->sk;
}

/* The stream socket of a file through bpf_probe_read_kernel, one read per
 * field: its address, or NULL. */
static __always_inline struct sock *file_sock_read(struct file *f)
{
	struct socket *sock;
	umode_t mode;

	if (!f)
		return NULL;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	if (BPF_CORE_READ(sock, type) != SOCK_STREAM)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

/* The file of fd, its slot read: its address, or NULL. */
static __always_inline struct file *fd_file_read(struct task_struct *task, __u32 fd)
{
	struct fdtable *fdt = fd_table(task, fd);
	struct file *f = NULL;

	if (fdt)
		bpf_probe_read_kernel(&f, sizeof(f), (void *)((__u64)fdt->fd + fd * sizeof(void *)));
	return f;
}

/* The same from fd, for the classic set: the address of the socket, or
 * NULL. */
static __always_inline struct sock *fd_sock_read(struct task_struct *task, __u32 fd)
{
	return file_sock_read(fd_file_read(task, fd));
}

/*
 * Beside the tp_btf programs before 6.2 each read is a kernel call, so the
 * fields of one object are read in one span: the file's inode, f_op and
 * private_data together, the socket's type and sk together. The offsets
 * are CO-RE constants, so the verifier sees one size per kernel and keeps
 * one branch of every test of them.
 */
#define SPAN_MAX 256 /* a file's: 176 bytes on 6.1 */
#define SPAN_SMALL 64
#define SPAN_LO(a, b) ((a) < (b) ? (a) : (b))
#define SPAN_HI(a, b) ((a) > (b) ? (a) : (b))

/* The field at offset off of an object whose bytes from lo are in buf. The
 * verifier refuses to subtract from a stack pointer, so the offset in buf
 * is made a number of its own first. */
static __always_inline __u64 span_at(const void *buf, __u32 lo, __u32 off, __u32 size)
{
	__u32 d = off - lo;

	barrier_var(d);
	if (size == 2)
		return *(__u16 *)(buf + d);
	if (size == 4)
		return *(__u32 *)(buf + d);
	return *(__u64 *)(buf + d);
}
#define SPAN_AT(buf, lo, off, type) ((type)span_at(buf, lo, off, sizeof(type)))

/* The f_op of socket files (socket_file_ops, static, so in kallsyms only
 * with CONFIG_KALLSYMS_ALL), learnt from the first file whose inode says
 * socket (sockfs gives every socket file that f_op; a socket inode opened
 * another way, O_PATH, moves no bytes and never gets here): from then on a
 * socket's file is told by a compare, and only other files read their
 * inode. */
__u64 sock_fops;

/* The socket of a file, or NULL: a file is a socket when its f_op is
 * sock_fops, or else its inode's mode says so. */
static __always_inline struct socket *file_socket(struct file *f)
{
	__u32 o_ino = bpf_core_field_offset(struct file, f_inode);
	__u32 o_op = bpf_core_field_offset(struct file, f_op);
	__u32 o_pd = bpf_core_field_offset(struct file, private_data);
	__u32 lo = SPAN_LO(SPAN_LO(o_ino, o_op), o_pd) & ~7U;
	__u32 hi = SPAN_HI(SPAN_HI(o_ino, o_op), o_pd) + sizeof(void *);
	__u64 buf[SPAN_MAX / 8], fop, ino, pd;

	if (hi - lo <= sizeof(buf)) {
		if (bpf_probe_read_kernel(buf, hi - lo, (void *)f + lo))
			return NULL;
		fop = SPAN_AT(buf, lo, o_op, __u64);
		ino = SPAN_AT(buf, lo, o_ino, __u64);
		pd = SPAN_AT(buf, lo, o_pd, __u64);
	} else {
		fop = (__u64)BPF_CORE_READ(f, f_op);
		ino = (__u64)BPF_CORE_READ(f, f_inode);
		pd = (__u64)BPF_CORE_READ(f, private_data);
	}
	if (!fop)
		return NULL;
	if (fop != sock_fops) {
		if ((BPF_CORE_READ((struct inode *)ino, i_mode) & S_IFMT) != S_IFSOCK)
			return NULL;
		sock_fops = fop;
	}
	return (struct socket *)pd;
}

/* The stream socket of file f through bpf_probe_read_kernel, two reads:
 * the file's span, the socket's span. Its address, or NULL. */
static __always_inline struct sock *file_sock_span(struct file *f)
{
	__u32 o_type = bpf_core_field_offset(struct socket, type);
	__u32 o_sk = bpf_core_field_offset(struct socket, sk);
	__u32 lo = SPAN_LO(o_type, o_sk) & ~7U;
	__u32 hi = SPAN_HI(o_type + 2, o_sk + 8);
	__u64 buf[SPAN_SMALL / 8];
	struct socket *sock;

	sock = f ? file_socket(f) : NULL;
	if (!sock)
		return NULL;
	if (hi - lo > sizeof(buf)) {
		if (BPF_CORE_READ(sock, type) != SOCK_STREAM)
			return NULL;
		return BPF_CORE_READ(sock, sk);
	}
	if (bpf_probe_read_kernel(buf, hi - lo, (void *)sock + lo) ||
	    SPAN_AT(buf, lo, o_type, __u16) != SOCK_STREAM)
		return NULL;
	return (struct sock *)SPAN_AT(buf, lo, o_sk, __u64);
}

/* The socket of fd, three reads: the fd's slot, then file_sock_span. */
static __always_inline struct sock *fd_sock_span(struct task_struct *task, __u32 fd)
{
	return file_sock_span(fd_file_read(task, fd));
}

/*
 * Before 5.15 there is no bpf_task_pt_regs, and before 5.11 no typed
 * current task: the classic set's fallback reads every step, the saved
 * registers included. x86-64 keeps a task's user registers at the top of
 * its kernel stack (the kernel's task_pt_regs: THREAD_SIZE above
 * task->stack, no padding on 64-bit); THREAD_SIZE is 16 KiB unless KASAN
 * doubles it. A syscall's saved orig_ax is its number, which the exit
 * tracepoint carries too: registers looked for in the wrong place do not
 * match it, and the caller counts the event and skips it. The registers a
 * call's arguments are in (di, dx, r10) and orig_ax lie within 72 bytes:
 * one read.
 */
#define TT_THREAD_SIZE 16384

struct sys_args {
	__u64 fd, arg3, arg4;
};

static __always_inline bool stack_args(struct task_struct *task, long nr, struct sys_args *a)
{
	__u32 o_fd = bpf_core_field_offset(struct pt_regs, di);
	__u32 o_3 = bpf_core_field_offset(struct pt_regs, dx);
	__u32 o_4 = bpf_core_field_offset(struct pt_regs, r10);
	__u32 o_nr = bpf_core_field_offset(struct pt_regs, orig_ax);
	__u32 lo = SPAN_LO(SPAN_LO(o_fd, o_3), SPAN_LO(o_4, o_nr)) & ~7U;
	__u32 hi = SPAN_HI(SPAN_HI(o_fd, o_3), SPAN_HI(o_4, o_nr)) + 8;
	struct pt_regs *regs = (struct pt_regs *)((__u64)BPF_CORE_READ(task, stack) +
						  TT_THREAD_SIZE) - 1;
	__u64 buf[SPAN_SMALL * 2 / 8];

	if (hi - lo > sizeof(buf) || bpf_probe_read_kernel(buf, hi - lo, (void *)regs + lo) ||
	    (long)SPAN_AT(buf, lo, o_nr, __u64) != nr)
		return false;
	a->fd = SPAN_AT(buf, lo, o_fd, __u64);
	a->arg3 = SPAN_AT(buf, lo, o_3, __u64);
	a->arg4 = SPAN_AT(buf, lo, o_4, __u64);
	return true;
}

/* fd's socket, every step read: the file table, its fd array and size in
 * one span, the fd's slot, then file_sock_span. Its address, or NULL. */
static __always_inline struct sock *fd_sock_stack(struct task_struct *task, __u32 fd)
{
	__u32 o_max = bpf_core_field_offset(struct fdtable, max_fds);
	__u32 o_fd = bpf_core_field_offset(struct fdtable, fd);
	__u32 lo = SPAN_LO(o_max, o_fd) & ~7U;
	__u32 hi = SPAN_HI(o_max + 4, o_fd + 8);
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	__u64 buf[SPAN_SMALL / 8], fds;
	struct file *f = NULL;

	if (!fdt || hi - lo > sizeof(buf) ||
	    bpf_probe_read_kernel(buf, hi - lo, (void *)fdt + lo) ||
	    fd >= SPAN_AT(buf, lo, o_max, __u32))
		return NULL;
	fds = SPAN_AT(buf, lo, o_fd, __u64);
	bpf_probe_read_kernel(&f, sizeof(f), (void *)(fds + fd * sizeof(void *)));
	return file_sock_span(f);
}

#endif /* TT_FD_BPF_H */
