// A tenant's intent taxonomy: the labels briefs use, each defined by example utterances.

/** An intent of a tenant's taxonomy. */
export interface IntentDefinition {
  name: string;
  description?: string;
  examples: string[];
  /** What the receiving agent should usually do next for this intent. */
  suggestedNextStep?: string;
}

export interface IntentTaxonomy {
  intents: IntentDefinition[];
  /** Product names the tenant sells (extracted as `product` facts when mentioned). */
  products?: string[];
}

export const TAXONOMY_LIMITS = {
  intents: 500,
  examplesPerIntent: 200,
  exampleLength: 1000,
  products: 2000,
} as const;

/** Problems of a taxonomy (empty when it is valid): names unique, every intent with an example. */
export function taxonomyProblems(taxonomy: IntentTaxonomy): string[] {
  const problems: string[] = [];
  if (taxonomy.intents.length === 0) problems.push('intents: at least one intent is required');
  if (taxonomy.intents.length > TAXONOMY_LIMITS.intents)
    problems.push(`intents: at most ${TAXONOMY_LIMITS.intents}`);
  const seen = new Set<string>();
  taxonomy.intents.forEach((intent, i) => {
    if (!/^[\p{L}\p{N}_.:-]{1,100}$/u.test(intent.name))
      problems.push(`intents[${i}].name: 1-100 letters, digits, _ . : -`);
    if (seen.has(intent.name)) problems.push(`intents[${i}].name: "${intent.name}" is defined twice`);
    seen.add(intent.name);
    const examples = intent.examples.filter((e) => e.trim().length > 0);
    if (examples.length === 0) problems.push(`intents[${i}].examples: at least one non-empty example`);
    if (intent.examples.length > TAXONOMY_LIMITS.examplesPerIntent)
      problems.push(`intents[${i}].examples: at most ${TAXONOMY_LIMITS.examplesPerIntent}`);
    if (intent.examples.some((e) => e.length > TAXONOMY_LIMITS.exampleLength))
      problems.push(`intents[${i}].examples: each at most ${TAXONOMY_LIMITS.exampleLength} characters`);
  });
  if ((taxonomy.products?.length ?? 0) > TAXONOMY_LIMITS.products)
    problems.push(`products: at most ${TAXONOMY_LIMITS.products}`);
  return problems;
}

/** The taxonomy of a tenant that has not configured one: common customer-service intents. */
export const DEFAULT_TAXONOMY: IntentTaxonomy = {
  intents: [
    {
      name: 'order_status',
      description: 'Where is my order, delivery tracking, late or missing package',
      examples: [
        'where is my order',
        'my package has not arrived yet',
        'can you track my delivery',
        'my order is late',
        'I never received my parcel',
      ],
      suggestedNextStep: 'Check the carrier tracking for the order and give the customer a delivery date.',
    },
    {
      name: 'refund_request',
      description: 'Money back for a purchase, return refund, reimbursement',
      examples: [
        'I want a refund',
        'please refund my money',
        'I returned the item but got no refund',
        'how do I get my money back',
      ],
      suggestedNextStep: 'Check refund eligibility for the order and confirm the amount and timeline.',
    },
    {
      name: 'cancel_order',
      description: 'Cancel an order, subscription or booking',
      examples: [
        'cancel my order',
        'I want to cancel my subscription',
        'please cancel my booking',
        'stop my membership',
      ],
      suggestedNextStep: 'Confirm what to cancel and whether a fee or refund applies, then cancel it.',
    },
    {
      name: 'billing_issue',
      description: 'Wrong charge, double charge, invoice or payment problem',
      examples: [
        'I was charged twice',
        'there is a wrong charge on my card',
        'my payment was declined',
        'question about my invoice',
        'why was I billed',
      ],
      suggestedNextStep: 'Compare the charges with the account history and correct or explain them.',
    },
    {
      name: 'account_access',
      description: 'Login, password, locked account, verification code',
      examples: [
        'I cannot log in',
        'reset my password',
        'my account is locked',
        'I did not get the verification code',
        'I forgot my password',
      ],
      suggestedNextStep: "Verify the customer's identity, then restore access to the account.",
    },
    {
      name: 'technical_issue',
      description: 'App or device not working, error message, crash, outage',
      examples: [
        'the app keeps crashing',
        'I get an error message',
        'my device is not working',
        'the internet is down',
        'it stopped working after the update',
      ],
      suggestedNextStep: 'Reproduce the error with the details given and skip the steps already tried.',
    },
    {
      name: 'change_details',
      description: 'Update address, email, phone or plan; change an order',
      examples: [
        'change my address',
        'update my email address',
        'I want to change my plan',
        'modify my order',
      ],
      suggestedNextStep: 'Make the requested change and confirm the new details to the customer.',
    },
    {
      name: 'product_question',
      description: 'Question about a product, price, availability, policy',
      examples: [
        'do you have this in stock',
        'how much does it cost',
        'what is your return policy',
        'does this work with my phone',
      ],
    },
    {
      name: 'complaint',
      description: 'Bad service, rude staff, dissatisfaction',
      examples: [
        'the service was terrible',
        'I want to make a complaint',
        'your staff was rude',
        'this is unacceptable',
      ],
      suggestedNextStep: 'Acknowledge the complaint, apologise, and offer a concrete remedy.',
    },
  ],
};
