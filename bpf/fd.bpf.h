/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The entry layer of the syscall programs: from a socket call's exit to the
 * struct sock behind its file descriptor, for kernels without the socket
 * data tracepoints (before 6.3). The turn logic after it is the one every
 * set runs (on_data). Included once, by telltale.bpf.c.
 *
 * The exit tracepoint has only the return value; the fd is the syscall's
 * first argument, still in the registers the task saved at entry, read
 * through bpf_task_pt_regs (5.15). That is one kernel call, where carrying
 * the fd from an enter program to the exit would take a map update, a
 * lookup and a delete per call, and a second program run.
 *
 * fd -> struct file -> struct socket -> struct sock through the task's file
 * table. With bpf_rdonly_cast (6.2) every step is a load the verifier turns
 * into an exception-protected one (no call); without it every step past the
 * fd table is a bpf_probe_read_kernel. The file's inode mode tells a socket
 * from the rest after four loads (fd table, slot, file, inode), before the
 * socket is touched.
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

/* The same through bpf_probe_read_kernel, for kernels without
 * bpf_rdonly_cast: the address of the socket, or NULL. */
static __always_inline struct sock *fd_sock_read(struct task_struct *task, __u32 fd)
{
	struct fdtable *fdt = fd_table(task, fd);
	struct socket *sock;
	struct file *f = NULL;
	umode_t mode;

	if (!fdt)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), (void *)((__u64)fdt->fd + fd * sizeof(void *)));
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

#endif /* TT_FD_BPF_H */
