#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "sieve_hash_kernels.h"

// Blurs random planes with the stream at levels 1 (portable), 2 (AVX2) and 3 (16 lanes,
// emulated by Scripts/check_kernels_16_lanes.sh) and counts values that differ from level 1.
static void run(int W,int H,int level,const float*plane,float*result,int allcols){
  int ncol = allcols ? W : 64; int *cols=malloc(ncol*4); for(int j=0;j<ncol;j++) cols[j]= allcols? j : (int)((j+0.5)*W/64);
  // dedupe for small W when not allcols
  int m=0; for(int j=0;j<ncol;j++) if(m==0||cols[j]!=cols[m-1]) cols[m++]=cols[j]; ncol=m;
  float *scratch=malloc(sieve_pdq_stream_scratch_count(W,H,ncol)*4+64);
  sieve_kernels_set_level(level);
  sieve_pdq_stream s; sieve_pdq_stream_begin(&s,W,H,cols,ncol,result,scratch); sieve_pdq_stream_assume_8bit_luma(&s);
  for(int y=0;y<H;y++){ memcpy(sieve_pdq_stream_row(&s),plane+(size_t)y*W,W*4); sieve_pdq_stream_push(&s);} 
  free(scratch); free(cols);
}
int main(){ int sizes[][2]={{50,300},{5,5},{7,13},{8,8},{9,17},{16,5},{17,33},{31,64},{63,65},{64,64},{65,70},{129,9},{9,129},{130,257},{257,130},{300,41},{513,384},{1000,37},{37,1000},{640,480},{1001,777},{4000,300},{2049,1500},{6144,40},{14336,19}};
 int bad=0; srand(5);
 for(unsigned k=0;k<sizeof sizes/sizeof sizes[0];k++){ int W=sizes[k][0],H=sizes[k][1];
  float *plane=malloc((size_t)W*H*4); for(size_t i=0;i<(size_t)W*H;i++) plane[i]=(float)(rand()%256)*0.299f+(float)(rand()%256)*0.587f+(float)(rand()%256)*0.114f;
  for(int all=0; all<2; all++){
  float *r1=calloc((size_t)W*H,4), *r3=calloc((size_t)W*H,4), *r2=calloc((size_t)W*H,4);
  run(W,H,1,plane,r1,all); run(W,H,3,plane,r3,all); run(W,H,2,plane,r2,all);
  int n = all? W*H : H*((W<64)?W:64);
  int d3=0,d2=0; for(int i=0;i<n;i++){ if(memcmp(&r1[i],&r3[i],4)) d3++; if(memcmp(&r1[i],&r2[i],4)) d2++; }
  printf("%dx%d all=%d: level 3 (16 lanes) differs %d, level2 differs %d of %d\n",W,H,all,d3,d2,n); bad+=d3+d2;
  free(r1);free(r2);free(r3);}
  free(plane);}
 printf(bad?"FAIL\n":"OK\n"); return bad!=0; }
