import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@handoff/platform';
import type { FastifyRequest } from 'fastify';
import { CustomerCommandsHandler } from '../application/customer-commands.handler';
import type { ActiveCustomer } from '../application/customer-identities';
import { LinkIdentityDto, MergeCustomersDto, UnmergeCustomerDto } from './conversations.dto';
import { commandContext, customerIdParam } from './request-context';

/** A customer as the API shows it. */
export interface CustomerView {
  customerId: string;
  status: 'active' | 'merged';
  mergedInto: string | null;
  identities: { kind: string; value: string; channel?: string; verified: boolean }[];
  merges: { mergeId: string; mergedCustomerId: string; ticketIds: string[] }[];
}

const view = (c: ActiveCustomer): CustomerView => ({
  customerId: c.customerId,
  status: c.status,
  mergedInto: c.mergedInto?.survivorId ?? null,
  identities: c.identities,
  merges: Object.entries(c.merges).map(([mergeId, m]) => ({
    mergeId,
    mergedCustomerId: m.mergedCustomerId,
    ticketIds: m.ticketIds,
  })),
});

@ApiTags('customers')
@Controller('v1/customers')
export class CustomersController {
  constructor(@Inject(CustomerCommandsHandler) private readonly customers: CustomerCommandsHandler) {}

  @Get(':customerId')
  @ApiOkResponse({ description: 'The customer, its identities and the merges in force.' })
  @ApiNotFoundResponse({ description: 'Unknown customer (or another tenant’s).' })
  async get(
    @Param('customerId') customerId: string,
    @CurrentPrincipal() who: Principal,
  ): Promise<CustomerView> {
    return view(await this.customers.get(who, customerIdParam(customerId)));
  }

  @Get(':customerId/identities')
  @ApiOkResponse({ description: 'The channel identities that resolve to this customer.' })
  @ApiNotFoundResponse()
  async identities(@Param('customerId') customerId: string, @CurrentPrincipal() who: Principal) {
    const customer = await this.customers.get(who, customerIdParam(customerId));
    return { customerId: customer.customerId, identities: customer.identities };
  }

  @Post(':customerId/identities')
  @HttpCode(200)
  @Roles('agent', 'supervisor', 'integration')
  @ApiOkResponse({ description: 'Linked (with provenance); linking a held identity again changes nothing.' })
  @ApiBadRequestResponse()
  @ApiUnprocessableEntityResponse({ description: 'Malformed identity value.' })
  @ApiConflictResponse({ description: 'The identity belongs to another customer (merge instead).' })
  @ApiNotFoundResponse()
  @ApiForbiddenResponse()
  async link(
    @Param('customerId') customerId: string,
    @Body() dto: LinkIdentityDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ): Promise<CustomerView> {
    const identity = {
      kind: dto.identity.kind,
      value: dto.identity.value,
      ...(dto.identity.channel === undefined ? {} : { channel: dto.identity.channel }),
      verified: dto.identity.verified ?? false,
    };
    return view(
      await this.customers.link(
        commandContext(who, request),
        customerIdParam(customerId),
        identity,
        dto.reason,
      ),
    );
  }

  @Post(':customerId/merge')
  @HttpCode(200)
  @Roles('agent', 'supervisor')
  @ApiOkResponse({
    description: '`mergedCustomerId` merged into this customer; repeating returns the same mergeId.',
  })
  @ApiUnprocessableEntityResponse({ description: 'A customer merged into itself.' })
  @ApiConflictResponse({
    description: 'Different verified identifiers of one kind, or already merged elsewhere.',
  })
  @ApiNotFoundResponse()
  @ApiForbiddenResponse()
  async merge(
    @Param('customerId') customerId: string,
    @Body() dto: MergeCustomersDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    const { mergeId, customer } = await this.customers.merge(
      commandContext(who, request),
      customerIdParam(customerId),
      dto.mergedCustomerId,
      dto.reason,
      dto.acknowledgeVerifiedConflicts ?? false,
    );
    return { mergeId, customer: view(customer) };
  }

  @Post(':customerId/unmerge')
  @HttpCode(200)
  @Roles('agent', 'supervisor')
  @ApiOkResponse({
    description: 'The merge is undone: the absorbed customer is back with its identities and tickets.',
  })
  @ApiNotFoundResponse({ description: 'Unknown customer or merge.' })
  @ApiForbiddenResponse()
  async unmerge(
    @Param('customerId') customerId: string,
    @Body() dto: UnmergeCustomerDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    const { restoredCustomerId, customer } = await this.customers.undoMerge(
      commandContext(who, request),
      customerIdParam(customerId),
      dto.mergeId,
      dto.reason,
    );
    return { restoredCustomerId, customer: view(customer) };
  }
}
