/**
 * A demonstration fee catalogue for local runs, demos and tests.
 *
 * NOT AN OFFICIAL CATALOGUE. The items are modelled on entries of published Chinese
 * administrative fee catalogues (行政事业性收费目录清单); the amounts are illustrative.
 * Where the legal basis (document number, issuer, date) is given without a "to verify"
 * note it is quoted from the published document; items marked "illustrative" use a
 * plausible title, range or date and must not be relied on. Amounts are integer fen.
 */
import type { FeeItem, LegalBasis } from '../core/catalogue.js';

export const DEMO_NOTICE =
  '演示数据：金额与依据仿照已公布的行政事业性收费目录清单编写，仅供演示，不是正式收费目录。' +
  ' Demo data: modelled on published fee catalogues, amounts illustrative, not an official catalogue.';

/** Department code -> collecting unit (执收单位). */
export const DEMO_DEPARTMENTS: Record<string, string> = {
  ZRZY: '某市自然资源和规划局',
  ZJ: '某市住房和城乡建设局',
  GA: '某市公安局',
  RS: '某市人力资源和社会保障局',
  SW: '某市水务局',
  RF: '某市人民防空办公室',
};

/** 不动产登记收费标准 (national). */
const REAL_ESTATE_REGISTRATION: LegalBasis = {
  title: '关于不动产登记收费标准等有关问题的通知',
  number: '发改价格规〔2016〕2559号',
  issuer: '国家发展改革委 财政部',
  date: '2016-12-06',
};

/** 小微企业 exemption from the registration fee. To verify: number and date. */
const SMALL_FIRMS_REGISTRATION: LegalBasis = {
  title: '关于不动产登记收费有关政策问题的通知',
  number: '财税〔2016〕79号',
  issuer: '财政部 国家发展改革委',
  date: '2016-07-06',
};

/** 居民身份证工本费. To verify: document number and date. */
const IDENTITY_CARD: LegalBasis = {
  title: '关于居民身份证收费标准及有关问题的通知',
  number: '发改价格〔2003〕2322号',
  issuer: '国家发展改革委 财政部',
  date: '2003-12-25',
};

/** 机动车号牌、证照工本费. To verify: document number and date. */
const TRAFFIC_CERTIFICATES: LegalBasis = {
  title: '关于公安交通管理收费标准的通知',
  number: '发改价格〔2004〕2831号',
  issuer: '国家发展改革委 财政部',
  date: '2004-12-08',
};

export const DEMO_CATALOGUE: FeeItem[] = [
  {
    code: 'ZRZY-001',
    name: '不动产登记费（住宅）',
    department: 'ZRZY',
    unit: '件',
    standard: { type: 'fixed', amount: 8000 }, // 80元/件, per 发改价格规〔2016〕2559号
    basis: [REAL_ESTATE_REGISTRATION, SMALL_FIRMS_REGISTRATION],
    fundManagement: 'treasury',
    validFrom: '2017-01-01', // as in DESIGN.md; to verify against the notice's own start date
    validTo: null,
    exemptions: [
      { who: '小微企业', kind: 'waive' },
      // 2559号 sets a zero standard for 保障性住房 registrations; modelled here as a waiver.
      { who: '保障性住房', kind: 'waive' },
    ],
    status: 'active',
  },
  {
    code: 'ZRZY-002',
    name: '不动产登记费（非住宅）',
    department: 'ZRZY',
    unit: '件',
    standard: { type: 'fixed', amount: 55000 }, // 550元/件, per 发改价格规〔2016〕2559号
    basis: [REAL_ESTATE_REGISTRATION, SMALL_FIRMS_REGISTRATION],
    fundManagement: 'treasury',
    validFrom: '2017-01-01',
    validTo: null,
    exemptions: [{ who: '小微企业', kind: 'waive' }],
    status: 'active',
  },
  {
    code: 'ZRZY-003',
    name: '不动产权属证书工本费（每增加一本）',
    department: 'ZRZY',
    unit: '本',
    standard: { type: 'fixed', amount: 1000 }, // 10元/本; to verify
    basis: [REAL_ESTATE_REGISTRATION],
    fundManagement: 'treasury',
    validFrom: '2017-01-01',
    validTo: null,
    exemptions: [],
    status: 'active',
  },
  {
    // The expired item, for demos: superseded by 不动产登记费. Illustrative: basis details and dates to verify.
    code: 'ZJ-001',
    name: '房屋登记费（住房）',
    department: 'ZJ',
    unit: '件',
    standard: { type: 'fixed', amount: 8000 },
    basis: [
      {
        title: '关于规范房屋登记费计费方式和收费标准等有关问题的通知',
        number: '发改价格〔2008〕924号',
        issuer: '国家发展改革委 财政部',
        date: '2008-04-15',
      },
    ],
    fundManagement: 'treasury',
    validFrom: '2008-05-01',
    validTo: '2016-12-31',
    exemptions: [],
    status: 'active',
  },
  {
    code: 'GA-001',
    name: '居民身份证工本费（换领、补领）',
    department: 'GA',
    unit: '证',
    standard: { type: 'fixed', amount: 2000 }, // 20元/证
    basis: [IDENTITY_CARD],
    fundManagement: 'treasury',
    validFrom: '2004-01-01', // illustrative
    validTo: null,
    exemptions: [{ who: '城乡最低生活保障对象', kind: 'waive' }], // illustrative
    status: 'active',
  },
  {
    code: 'GA-002',
    name: '临时居民身份证工本费',
    department: 'GA',
    unit: '证',
    standard: { type: 'fixed', amount: 1000 }, // 10元/证
    basis: [IDENTITY_CARD],
    fundManagement: 'treasury',
    validFrom: '2004-01-01', // illustrative
    validTo: null,
    exemptions: [],
    status: 'active',
  },
  {
    code: 'GA-003',
    name: '机动车号牌工本费（汽车反光号牌）',
    department: 'GA',
    unit: '副',
    standard: { type: 'fixed', amount: 10000 }, // 100元/副
    basis: [TRAFFIC_CERTIFICATES],
    fundManagement: 'treasury',
    validFrom: '2005-01-01', // illustrative
    validTo: null,
    exemptions: [],
    status: 'active',
  },
  {
    code: 'GA-004',
    name: '机动车行驶证工本费',
    department: 'GA',
    unit: '本',
    standard: { type: 'fixed', amount: 1000 }, // 10元/本
    basis: [TRAFFIC_CERTIFICATES],
    fundManagement: 'treasury',
    validFrom: '2005-01-01', // illustrative
    validTo: null,
    exemptions: [],
    status: 'active',
  },
  {
    // Illustrative: examination fees are set per province, usually per subject within a range.
    code: 'RS-001',
    name: '职业技能鉴定考试考务费',
    department: 'RS',
    unit: '科',
    standard: { type: 'range', min: 1000, max: 5000 },
    basis: [
      {
        title: '关于职业技能鉴定考试考务费收费标准的通知',
        number: '某发改价格〔2019〕1号',
        issuer: '某省发展改革委 某省财政厅',
        date: '2019-03-01',
      },
    ],
    fundManagement: 'special_account',
    validFrom: '2019-04-01',
    validTo: null,
    exemptions: [
      { who: '城乡最低生活保障家庭成员', kind: 'percent', percent: 50 },
      { who: '残疾人', kind: 'waive' },
      { who: '在校学生', kind: 'amount', amount: 1000 },
    ],
    status: 'active',
  },
  {
    // Illustrative range: the standard is set per province and per square metre of land disturbed.
    code: 'SW-001',
    name: '水土保持补偿费（一般性生产建设项目）',
    department: 'SW',
    unit: '平方米',
    standard: { type: 'range', min: 50, max: 200 },
    basis: [
      {
        title: '关于印发《水土保持补偿费征收使用管理办法》的通知',
        number: '财综〔2014〕8号', // to verify
        issuer: '财政部 国家发展改革委 水利部 中国人民银行',
        date: '2014-01-29', // to verify
      },
    ],
    fundManagement: 'treasury',
    validFrom: '2014-05-01', // to verify
    validTo: null,
    exemptions: [{ who: '农民依法利用农村集体土地新建自用住房', kind: 'waive' }], // to verify
    status: 'active',
  },
  {
    // Illustrative range: set locally per square metre of the shelter not built.
    code: 'RF-001',
    name: '防空地下室易地建设费',
    department: 'RF',
    unit: '平方米',
    standard: { type: 'range', min: 100000, max: 300000 },
    basis: [
      {
        title: '关于规范防空地下室易地建设收费的规定',
        number: '计价格〔2000〕474号', // to verify
        issuer: '国家计委 财政部 国家国防动员委员会 建设部',
        date: '2000-04-27', // to verify
      },
    ],
    fundManagement: 'treasury',
    validFrom: '2000-06-01', // illustrative
    validTo: null,
    exemptions: [],
    status: 'active',
  },
];
