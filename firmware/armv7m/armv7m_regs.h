/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside the SDK's ARMv7-M port: the System Control Space registers it uses (ARMv7-M
 * Architecture Reference Manual, B3). */
#ifndef AMP_FW_ARMV7M_REGS_H
#define AMP_FW_ARMV7M_REGS_H

#include <stdint.h>

#define ARMV7M_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#define ARMV7M_ICSR ARMV7M_REG(0xE000ED04u)  /* interrupt control and state */
#define ARMV7M_VTOR ARMV7M_REG(0xE000ED08u)  /* vector table offset */
#define ARMV7M_CCR ARMV7M_REG(0xE000ED14u)   /* configuration and control */
#define ARMV7M_SHCSR ARMV7M_REG(0xE000ED24u) /* system handler control and state */
#define ARMV7M_CFSR ARMV7M_REG(0xE000ED28u)  /* configurable fault status */
#define ARMV7M_HFSR ARMV7M_REG(0xE000ED2Cu)  /* hard fault status */
#define ARMV7M_MMFAR ARMV7M_REG(0xE000ED34u) /* memory management fault address */
#define ARMV7M_BFAR ARMV7M_REG(0xE000ED38u)  /* bus fault address */

#define ARMV7M_ICSR_PENDSTSET (1u << 26)
#define ARMV7M_CCR_DIV_0_TRP (1u << 4)
#define ARMV7M_SHCSR_FAULTS_ENA (7u << 16) /* MemManage, BusFault, UsageFault */

#define ARMV7M_SYST_CSR ARMV7M_REG(0xE000E010u) /* SysTick control and status */
#define ARMV7M_SYST_RVR ARMV7M_REG(0xE000E014u) /* reload value */
#define ARMV7M_SYST_CVR ARMV7M_REG(0xE000E018u) /* current value */
#define ARMV7M_SYST_ENABLE 1u
#define ARMV7M_SYST_TICKINT 2u
#define ARMV7M_SYST_CLKSOURCE 4u /* the processor clock */

#define ARMV7M_NVIC_ISER(n) ARMV7M_REG(0xE000E100u + 4u * (n)) /* set-enable */
#define ARMV7M_NVIC_ICER(n) ARMV7M_REG(0xE000E180u + 4u * (n)) /* clear-enable */
#define ARMV7M_NVIC_ICPR(n) ARMV7M_REG(0xE000E280u + 4u * (n)) /* clear-pending */
#define ARMV7M_NVIC_IPR(n) (*(volatile uint8_t *)(uintptr_t)(0xE000E400u + (n)))

#define ARMV7M_MPU_CTRL ARMV7M_REG(0xE000ED94u)
#define ARMV7M_MPU_RNR ARMV7M_REG(0xE000ED98u)
#define ARMV7M_MPU_RBAR ARMV7M_REG(0xE000ED9Cu)
#define ARMV7M_MPU_RASR ARMV7M_REG(0xE000EDA0u)
#define ARMV7M_MPU_CTRL_ENABLE 1u
#define ARMV7M_MPU_CTRL_PRIVDEFENA 4u /* the default memory map where no region says else */

/* Exception numbers; a device interrupt n is exception 16 + n. */
#define ARMV7M_EXC_IRQ0 16u

/* armv7m_start.c: the board's part of start-up (its devices), before interrupts are on. */
void amp_fw_board_init(void);
/* armv7m_fault.c: the board reports a fault to whoever watches the core, then returns (the
 * port stops the core). */
struct amp_fw_fault;
void amp_fw_board_fault(const struct amp_fw_fault *fault);
/* armv7m_systick.c */
void armv7m_systick_init(void);

#endif /* AMP_FW_ARMV7M_REGS_H */
