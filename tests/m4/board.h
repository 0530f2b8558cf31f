/* tests/m4/board.h - what the Cortex-M4 firmware images get from
   board.c: semihosting output and exit, an instruction counter, and a painted
   stack whose high-water mark is read after a call. */
#ifndef M4_BOARD_H
#define M4_BOARD_H
#include <stddef.h>
#include <stdint.h>

void m4_puts(const char *s);                       /* SYS_WRITE0 */
void m4_put_kv(const char *key, unsigned long v);  /* "M4 key value\n", parsed by run.sh */
void m4_put_kstr(const char *key, const char *s, size_t n);
void m4_exit(int ok) __attribute__((noreturn));     /* SYS_EXIT: QEMU exits 0 or 1 */

/* SysTick ticks since reset. Under qemu -icount shift=0 one instruction takes
   1 ns of virtual time, so ticks * (instructions per tick) counts instructions;
   m4_calibrate() prints the ratio, from a loop of known length. */
uint32_t m4_ticks(void);
void m4_calibrate(void);

/* Paints the free stack below the caller's frame; m4_stack_used() returns the
   deepest byte used since, counted from the frame m4_stack_paint was called
   from. Call both from the same function. */
void m4_stack_paint(void);
size_t m4_stack_used(void);

#endif
