/* Shared scalar types and static-assert macro for the ABI headers (C11, BPF C and C++20). */
#ifndef XLB_ABI_COMMON_H
#define XLB_ABI_COMMON_H

#include <linux/types.h>

#ifdef __cplusplus
#define XLB_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define XLB_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* A field's offset is part of the layout too: the C and C++ compilers must agree with the
 * offsets the comments promise. */
#define XLB_ASSERT_OFFSET(type, field, off)                                                        \
	XLB_STATIC_ASSERT(__builtin_offsetof(type, field) == (off), #type "." #field " offset")

#define XLB_AF_INET 2
#define XLB_AF_INET6 10

/* An IP address sized for IPv6 from day one. Network byte order. IPv4 lives in w[0], w[1..3] = 0.
 */
struct xlb_ip {
	__u32 w[4];
};
XLB_STATIC_ASSERT(sizeof(struct xlb_ip) == 16, "xlb_ip is 16 bytes");

#endif
