/* tests/m4/board.c - the least a Cortex-M4 image needs to run under QEMU
   (mps2-an386): a vector table, a reset handler that sets up .data and .bss,
   SysTick as an instruction counter, semihosting for output and the exit
   status, and stack painting. No libc: the images measure the library, not
   this file. */
#include "board.h"

extern uint32_t _data_start[], _data_end[], _data_load[], _bss_start[], _bss_end[];
extern uint32_t _stack_bottom[], _stack_top[];
int main(void);

#define M4_PAINT 0xC5C5C5C5u
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static volatile uint32_t m4_wraps;  /* SysTick wraps of 2^24 ticks */
static uint32_t *m4_painted_top;

/* Semihosting: BKPT 0xAB with the operation in r0 and its argument in r1. */
static void m4_semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}

void m4_puts(const char *s) { m4_semihost(0x04, s); }  /* SYS_WRITE0 */

void m4_exit(int ok)
{
    /* SYS_EXIT: ADP_Stopped_ApplicationExit makes QEMU exit 0, RunTimeErrorUnknown 1. */
    m4_semihost(0x18, (const void *)(uintptr_t)(ok ? 0x20026u : 0x20023u));
    for (;;) continue;
}

void m4_put_kstr(const char *key, const char *s, size_t n)
{
    char line[160];
    size_t i = 0;
    const char *p;
    for (p = "M4 "; *p; p++) line[i++] = *p;
    for (p = key; *p && i < 80; p++) line[i++] = *p;
    line[i++] = ' ';
    while (n-- && *s && i < sizeof line - 2) line[i++] = *s++;
    line[i++] = '\n';
    line[i] = 0;
    m4_puts(line);
}

void m4_put_kv(const char *key, unsigned long v)
{
    char digits[24];
    size_t i = sizeof digits;
    digits[--i] = 0;
    do digits[--i] = (char)('0' + v % 10); while ((v /= 10) != 0);
    m4_put_kstr(key, digits + i, sizeof digits - 1 - i);
}

uint32_t m4_ticks(void)
{
    uint32_t hi, lo;
    do {
        hi = m4_wraps;
        lo = SYST_CVR;
    } while (hi != m4_wraps);
    return (hi << 24) + (0xFFFFFFu - lo);
}

void m4_calibrate(void)
{
    /* 2 instructions per round (subs, bne): 2,000,000 instructions. */
    uint32_t n = 1000000, t0 = m4_ticks(), t1;
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
    t1 = m4_ticks();
    m4_put_kv("calib_insns", 2000000);
    m4_put_kv("calib_ticks", t1 - t0);
}

void m4_stack_paint(void)
{
    uint32_t *p, *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    m4_painted_top = sp;
    for (p = _stack_bottom; p < sp - 16; p++) *p = M4_PAINT;
}

size_t m4_stack_used(void)
{
    uint32_t *p = _stack_bottom;
    while (p < m4_painted_top && *p == M4_PAINT) p++;
    if (p == _stack_bottom) m4_puts("stack overflow: the painted stack was used to its bottom\n");
    return (size_t)((char *)m4_painted_top - (char *)p);
}

static void m4_systick(void) { m4_wraps++; }

static void m4_fault(void)
{
    const uint32_t *frame;  /* r0-r3, r12, lr, pc, xpsr, pushed by the core */
    __asm__ volatile("mrs %0, msp" : "=r"(frame));
    m4_puts("M4 fault: HardFault (an assert trapped, or a bad access)\n");
    m4_put_kv("fault_pc", frame[6]);
    m4_put_kv("fault_cfsr", *(volatile uint32_t *)0xE000ED28u);
    m4_exit(0);
}

void m4_reset(void)
{
    uint32_t *s = _data_load, *d;
    for (d = _data_start; d < _data_end;) *d++ = *s++;
    for (d = _bss_start; d < _bss_end;) *d++ = 0;
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 7; /* processor clock, interrupt on wrap, enabled */
    while (SYST_CVR == 0) continue; /* the first tick loads RVR */
    m4_exit(main() == 0);
}

typedef void (*m4_vector)(void);
__attribute__((section(".vectors"), used)) static const m4_vector m4_vectors[16] = {
    (m4_vector)(uintptr_t)_stack_top, m4_reset,
    m4_fault, m4_fault, m4_fault, m4_fault, m4_fault, /* NMI, HardFault, MemManage, BusFault, UsageFault */
    0, 0, 0, 0, m4_fault, m4_fault, 0, m4_fault,     /* SVCall, DebugMon, PendSV */
    m4_systick};
