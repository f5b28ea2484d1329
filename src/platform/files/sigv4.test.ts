import { describe, expect, it } from 'vitest'
import { EMPTY_SHA256, sha256Hex, signV4, uriEncode } from './sigv4.js'

// AWS's published SigV4 test suite (IAM user guide, "signature-v4-test-suite"): the same key, date and
// region for every case.
const SUITE = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  service: 'service',
}
const SUITE_TIME = new Date('2015-08-30T12:36:00Z')

// The worked examples of the S3 API reference ("Signature calculation: Authorization header").
const S3_EXAMPLE = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  service: 's3',
}
const S3_TIME = new Date('2013-05-24T00:00:00Z')
const S3_HOST = 'https://examplebucket.s3.amazonaws.com'

describe('AWS Signature V4', () => {
  it('reproduces the get-vanilla example step by step', () => {
    const signed = signV4(
      {
        method: 'GET',
        url: new URL('https://example.amazonaws.com/'),
        headers: {},
        payloadHash: EMPTY_SHA256,
      },
      SUITE,
      SUITE_TIME,
    )
    expect(signed.canonicalRequest).toBe(
      [
        'GET',
        '/',
        '',
        'host:example.amazonaws.com',
        'x-amz-date:20150830T123600Z',
        '',
        'host;x-amz-date',
        EMPTY_SHA256,
      ].join('\n'),
    )
    expect(signed.stringToSign).toBe(
      [
        'AWS4-HMAC-SHA256',
        '20150830T123600Z',
        '20150830/us-east-1/service/aws4_request',
        'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
      ].join('\n'),
    )
    expect(signed.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    )
    expect(signed.headers).toMatchObject({ host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' })
  })

  it('sorts the query as get-vanilla-query-order-key-case does', () => {
    const signed = signV4(
      {
        method: 'GET',
        url: new URL('https://example.amazonaws.com/?Param2=value2&Param1=value1'),
        headers: {},
        payloadHash: EMPTY_SHA256,
      },
      SUITE,
      SUITE_TIME,
    )
    expect(signed.signature).toBe('b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500')
  })

  it('signs the method, as post-vanilla shows', () => {
    const signed = signV4(
      {
        method: 'POST',
        url: new URL('https://example.amazonaws.com/'),
        headers: {},
        payloadHash: EMPTY_SHA256,
      },
      SUITE,
      SUITE_TIME,
    )
    expect(signed.signature).toBe('5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b')
  })

  it('reproduces the S3 GET Object example with a Range header', () => {
    const signed = signV4(
      {
        method: 'GET',
        url: new URL(`${S3_HOST}/test.txt`),
        headers: { Range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA256 },
        payloadHash: EMPTY_SHA256,
      },
      S3_EXAMPLE,
      S3_TIME,
    )
    expect(sha256Hex(signed.canonicalRequest)).toBe(
      '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    )
    expect(signed.signedHeaders).toBe('host;range;x-amz-content-sha256;x-amz-date')
    expect(signed.signature).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41')
  })

  it('reproduces the S3 PUT Object example: a signed body and a key that needs encoding', () => {
    const body = 'Welcome to Amazon S3.'
    const payloadHash = sha256Hex(body)
    expect(payloadHash).toBe('44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072')
    for (const path of ['/test$file.text', '/test%24file.text']) {
      const signed = signV4(
        {
          method: 'PUT',
          url: new URL(`${S3_HOST}${path}`),
          headers: {
            Date: 'Fri, 24 May 2013 00:00:00 GMT',
            'x-amz-storage-class': 'REDUCED_REDUNDANCY',
            'x-amz-content-sha256': payloadHash,
          },
          payloadHash,
        },
        S3_EXAMPLE,
        S3_TIME,
      )
      expect(sha256Hex(signed.canonicalRequest)).toBe(
        '9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d',
      )
      expect(signed.signature).toBe('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd')
    }
  })

  it('reproduces the S3 examples with a bare sub-resource and with sorted list parameters', () => {
    const sign = (query: string) =>
      signV4(
        {
          method: 'GET',
          url: new URL(`${S3_HOST}/${query}`),
          headers: { 'x-amz-content-sha256': EMPTY_SHA256 },
          payloadHash: EMPTY_SHA256,
        },
        S3_EXAMPLE,
        S3_TIME,
      ).signature
    expect(sign('?lifecycle')).toBe('fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543')
    expect(sign('?prefix=J&max-keys=2')).toBe(
      '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
    )
  })

  it('encodes everything but the unreserved characters', () => {
    expect(uriEncode("a b/ü$!'()*~._-")).toBe('a%20b%2F%C3%BC%24%21%27%28%29%2A~._-')
  })
})
