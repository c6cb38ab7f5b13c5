// Replaced below by the DynamoDB Local starter.
export default async function setup() {}
