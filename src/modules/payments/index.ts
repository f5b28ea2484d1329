import type { FastifyInstance } from 'fastify'
import { SYSTEM_CONTEXT } from '../../platform/audit/audit.js'
import { paymentSandboxSecret } from '../../platform/config.js'
import type { Jobs } from '../../platform/jobs/index.js'
import type { PaymentProvider } from './payment-provider.js'
import { paymentsApi } from './payments.api.js'
import { paymentPaths } from './payments.paths.js'
import { paymentsRoutes } from './payments.routes.js'
import { createPaymentsService, PAYMENT_WINDOW_MINUTES, type PaymentsDeps } from './payments.service.js'
import { createSandboxGateway } from './sandbox-gateway.js'
import { SandboxProvider } from './sandbox-provider.js'

export type { PaymentProvider, PaymentNotice, TransactionStatus } from './payment-provider.js'
export type { PaymentsService } from './payments.service.js'
export { amountInWords } from './amount-in-words.js'
export { paymentPaths } from './payments.paths.js'

export type PaymentsModuleDeps = Omit<PaymentsDeps, 'provider'> & { jobs: Pick<Jobs, 'runner'> }

/** The name the sandbox shows its customers as the merchant. */
const MERCHANT_NAME = 'Cổng Dịch vụ công tỉnh Cao Bằng'

/** Where this process can be reached: the address it listens on, as a URL a local client can call. */
function listeningUrl(server: FastifyInstance['server'] | undefined): string {
  const address = server?.address()
  if (!address || typeof address === 'string') {
    throw new Error('Máy chủ chưa lắng nghe và chưa đặt PUBLIC_URL (server not listening, PUBLIC_URL unset)')
  }
  const { address: host, family, port } = address
  // A wildcard address accepts local connections too.
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : family === 'IPv6' ? `[${host}]` : host
  return `http://${local}:${port}`
}

/**
 * Online payment of dossier fees: attempts through a payment provider, its verified notices written on the
 * dossier, signed receipts, reconciliation; and, while the provider is the sandbox, the sandbox gateway itself.
 */
export function createPaymentsModule(deps: PaymentsModuleDeps) {
  const { config } = deps
  const secret = paymentSandboxSecret(config)
  let server: FastifyInstance['server'] | undefined
  // The sandbox runs in this platform: it is reached, and it calls back, at the platform's own address.
  const ownUrl = () => config.publicUrl?.replace(/\/+$/, '') ?? listeningUrl(server)

  // PAYMENT_PROVIDER chooses the provider; PayGov or a bank gateway is one more case here.
  let provider: PaymentProvider
  let gatewayRoutes: ((app: FastifyInstance) => Promise<void>) | undefined
  switch (config.paymentProvider) {
    case 'sandbox': {
      provider = new SandboxProvider({ secret, gatewayUrl: ownUrl })
      const gateway = createSandboxGateway({
        db: deps.db,
        clock: deps.clock,
        secret,
        merchantName: MERCHANT_NAME,
        noticeUrl: () => `${ownUrl()}${paymentPaths.callback('sandbox')}`,
      })
      // A notice is retried until acknowledged, about half an hour in all, as gateways do.
      deps.jobs.runner.handle('payments.sandbox-notice', gateway.deliverNotice, {
        concurrency: 2,
        maxAttempts: 12,
        backoff: { baseMs: 1_000, maxMs: 10 * 60_000 },
        timeoutMs: 30_000,
      })
      gatewayRoutes = gateway.routes
      break
    }
  }

  const service = createPaymentsService({ ...deps, provider })
  // Attempts past the payment window that the customer abandoned, and notices the gateway never delivered,
  // are settled without a person.
  deps.jobs.runner.every('payments.recheck', config.paymentRecheckMs, async () => {
    await service.recheck(
      null,
      SYSTEM_CONTEXT,
      new Date(deps.clock().getTime() - PAYMENT_WINDOW_MINUTES * 60_000),
    )
  })
  return {
    service,
    provider,
    routes: async (app: FastifyInstance) => {
      await app.register(
        paymentsRoutes(service, {
          config,
          providerName: provider.name,
          onServer: (s) => (server = s),
        }),
      )
      if (gatewayRoutes) await app.register(gatewayRoutes)
    },
    api: paymentsApi(service),
  }
}
