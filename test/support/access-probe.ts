/** Whether Cloudflare Access (the emulator's protected path) admits this service-token pair, as the edge would. */
export async function accessAdmits(
  accessUrl: string,
  credential: { readonly clientId: string; readonly clientSecret: string },
): Promise<boolean> {
  const response = await fetch(accessUrl, {
    headers: {
      'cf-access-client-id': credential.clientId,
      'cf-access-client-secret': credential.clientSecret,
    },
    redirect: 'manual',
  });
  await response.arrayBuffer();
  return response.status === 200;
}
