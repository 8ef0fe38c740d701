// The Swagger decorators the controllers use, plus the problem+json error responses every route shares.
import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

export { ApiBody, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';

const problem = { 'application/problem+json': { schema: { type: 'object' } } };

/** 400/401/403/404 as RFC 9457 problem details. */
export const ApiProblemResponses = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiResponse({ status: 400, description: 'Invalid input (problem+json).', content: problem }),
    ApiResponse({ status: 401, description: 'Missing or invalid API key (problem+json).', content: problem }),
    ApiResponse({
      status: 403,
      description: 'Role not allowed; auditors never write (problem+json).',
      content: problem,
    }),
    ApiResponse({ status: 404, description: 'Not found in your tenant (problem+json).', content: problem }),
  );
